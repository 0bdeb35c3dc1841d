package io.nftpolicy.apiserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code nftpolicy run} as its own JVM, started from a jar (today's build or another revision's) with a kubeconfig,
 * programming one network namespace; watched from outside through its /readyz and /metrics, /proc and jcmd.
 */
public final class AgentProcess implements AutoCloseable {
    private static final Pattern HEAP = Pattern.compile(
            "(?m)^jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*}\\s+(\\S+)$");

    /**
     * The JVM options of the image's ENTRYPOINT (Dockerfile: serial GC, the heap at most 40 % of the container's
     * memory and shrinking to what is live, freed native memory trimmed every 5 s) under the DaemonSet's memory limit
     * (deploy/base/daemonset.yaml: 640 Mi), for a process that has no container limit. MaxRAM stands for the limit
     * the JVM would read from its cgroup: it sizes the initial heap too (1/64 of it, 10 MB), where a bare -Xmx256m
     * on a 24 GB host starts at 256 MB committed and shows a resident size the pod would not have. DockerfileTest
     * holds these to the Dockerfile and MaxRAM to the DaemonSet's limit.
     */
    public static final List<String> IMAGE_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:MaxRAM=640m",
            "-XX:MaxRAMPercentage=40", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20",
            "-XX:TrimNativeHeapInterval=5000");

    private final Process process;
    private final int metricsPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private AgentProcess(Process process, int metricsPort) {
        this.process = process;
        this.metricsPort = metricsPort;
    }

    /**
     * @param log where its standard output and error go
     */
    static AgentProcess start(Path jar, Path kubeconfig, String node, String netns, Path log) throws IOException {
        return start(List.of(), jar, kubeconfig, node, netns, log);
    }

    /**
     * @param jvmOptions options of the agent's JVM, e.g. the image's ({@link #IMAGE_JVM_OPTIONS})
     * @param log        where its standard output and error go
     */
    public static AgentProcess start(List<String> jvmOptions, Path jar, Path kubeconfig, String node, String netns,
                                     Path log) throws IOException {
        int port = freePort();
        List<String> command = new java.util.ArrayList<>(List.of("java"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-jar", jar.toString(), "run", "--node", node, "--netns", netns,
                "--metrics-bind-address", "127.0.0.1:" + port, "--no-write-drop-log"));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("KUBECONFIG", kubeconfig.toString());
        return new AgentProcess(builder.start(), port);
    }

    public long pid() {
        return process.pid();
    }

    public double cpuSeconds() {
        return ProcessCpu.seconds(process.pid());
    }

    /** Waits until /readyz answers 200: the first sync is in the kernel. */
    public void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nftpolicy run exited " + process.exitValue() + " before it was ready");
            }
            if (status("/readyz") == 200) {
                return;
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("nftpolicy run not ready within " + timeout);
    }

    /** Heap in use after a full collection that jcmd asks the agent's JVM for, as its /metrics reports it. */
    public double heapAfterGcBytes() throws IOException, InterruptedException {
        for (int i = 0; i < 2; i++) {
            Process gc = new ProcessBuilder("jcmd", Long.toString(process.pid()), "GC.run")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            gc.waitFor(1, TimeUnit.MINUTES);
        }
        Thread.sleep(200);
        Matcher m = HEAP.matcher(metrics());
        double bytes = 0;
        while (m.find()) {
            bytes += Double.parseDouble(m.group(1));
        }
        return bytes;
    }

    /** Resident memory now and at its peak (VmRSS, VmHWM of /proc/PID/status), in bytes. */
    public Resident resident() throws IOException {
        String status = java.nio.file.Files.readString(Path.of("/proc", Long.toString(process.pid()), "status"));
        return new Resident(statusKilobytes(status, "VmRSS") * 1024, statusKilobytes(status, "VmHWM") * 1024);
    }

    /** What the process holds in memory: VmRSS and VmHWM of /proc/PID/status. */
    public record Resident(long bytes, long peakBytes) {
        @Override
        public String toString() {
            return String.format("resident %.0f MB (peak %.0f MB)", bytes / 1e6, peakBytes / 1e6);
        }
    }

    private static long statusKilobytes(String status, String field) {
        Matcher m = Pattern.compile("(?m)^" + field + ":\\s+(\\d+) kB$").matcher(status);
        if (!m.find()) {
            throw new IllegalStateException("no " + field + " in /proc/PID/status");
        }
        return Long.parseLong(m.group(1));
    }

    /** The output of one jcmd diagnostic command on the agent's JVM, e.g. {@code VM.native_memory summary}. */
    public String jcmd(String... command) throws IOException, InterruptedException {
        List<String> words = new java.util.ArrayList<>(List.of("jcmd", Long.toString(process.pid())));
        words.addAll(List.of(command));
        Process jcmd = new ProcessBuilder(words).redirectErrorStream(true).start();
        String output = new String(jcmd.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        jcmd.waitFor(1, TimeUnit.MINUTES);
        return output;
    }

    public String metrics() throws IOException, InterruptedException {
        return http.send(request("/metrics"), HttpResponse.BodyHandlers.ofString()).body();
    }

    private int status(String path) throws InterruptedException {
        try {
            return http.send(request(path), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException notListeningYet) {
            return -1;
        }
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + path))
                .timeout(Duration.ofSeconds(10)).build();
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGTERM (the agent leaves its rules in place and exits), then SIGKILL if it is still there. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor();
        }
    }
}
