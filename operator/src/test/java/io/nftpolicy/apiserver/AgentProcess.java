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
     * The JVM options of the image (Dockerfile: serial GC, 75 % of the container's memory) under the DaemonSet's
     * memory limit (deploy/base/daemonset.yaml: 320 Mi), for a process that has no container limit. MaxRAM stands
     * for the limit the JVM would read from its cgroup: it sizes the initial heap too (1/64 of it, 8 MB), where a
     * bare -Xmx240m on a 24 GB host starts at 240 MB committed and shows a resident size the pod would not have.
     */
    public static final List<String> IMAGE_JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:MaxRAM=320m",
            "-XX:MaxRAMPercentage=75");

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
