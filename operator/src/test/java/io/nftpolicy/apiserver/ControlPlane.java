package io.nftpolicy.apiserver;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.nftpolicy.deploy.Repository;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real control plane (etcd, kube-apiserver, kube-controller-manager) for the *ApiServerTest classes, started once
 * per test run by {@code bin/cluster up} and stopped by {@code bin/cluster down} when the run ends. Its run data is
 * in operator/target/apiserver-cluster, on free loopback ports picked at start, so a developer's own
 * {@code bin/cluster up}, or another worktree's test run, keeps running beside it.
 *
 * <p>The first run on a machine builds the binaries from Go modules (many minutes, see README.md); without Go and
 * without built binaries the tier is skipped.
 *
 * <p>Use: {@code @ExtendWith(ControlPlane.Extension.class)} on the class, then {@link #get()}.
 */
public final class ControlPlane implements AutoCloseable {
    private static final Duration UP_TIMEOUT = Duration.ofMinutes(60);
    private static final Pattern EXPORT = Pattern.compile("export (\\w+)=(.*)");

    private static volatile ControlPlane running;

    private final Path runDir;
    private final Path kubeconfig;
    private final Path binDir;
    private final int apiPort;
    /** etcd's client port; its peer port is the next one. */
    private final int etcdPort;

    private ControlPlane(Path runDir, Path kubeconfig, Path binDir, int apiPort, int etcdPort) {
        this.runDir = runDir;
        this.kubeconfig = kubeconfig;
        this.binDir = binDir;
        this.apiPort = apiPort;
        this.etcdPort = etcdPort;
    }

    /** Starts the control plane before the first class that uses it; stops it when the whole run ends. */
    public static final class Extension implements BeforeAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            // The root context's store closes its values at the end of the run: one control plane for every class.
            context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                    .computeIfAbsent(ControlPlane.class, key -> start(), ControlPlane.class);
        }
    }

    /** The control plane of this run (after the extension's beforeAll). */
    public static ControlPlane get() {
        ControlPlane plane = running;
        if (plane == null) {
            throw new IllegalStateException("no control plane: annotate the class with @ExtendWith(ControlPlane.Extension.class)");
        }
        return plane;
    }

    private static ControlPlane start() {
        Path runDir = Repository.path("operator/target/apiserver-cluster");
        int apiPort = freePort(false);
        int etcdPort = freePort(true);
        Map<String, String> env = environment(runDir, apiPort, etcdPort);
        CommandResult paths = Commands.run(List.of(script().toString(), "env"), env, Duration.ofSeconds(30));
        Map<String, String> exports = exports(paths.stdout());
        Path binDir = Path.of(exports.get("PATH").split(":")[0]);
        assumeTrue(Files.isExecutable(binDir.resolve("kube-apiserver")) || onPath("go"),
                "API server tier skipped: Go is not installed and the control plane is not built in " + binDir
                        + " (install Go 1.26, or run bin/cluster build)");
        if (!Files.isExecutable(binDir.resolve("kube-apiserver"))) {
            System.out.println("[apiserver tier] building the control plane with Go into " + binDir.getParent()
                    + " (first run on this machine: many minutes; log: " + runDir.getParent().resolve("apiserver-cluster-build.log") + ")");
        }
        // A run that died before its down left processes and data here: stop them, start afresh.
        Commands.run(List.of(script().toString(), "down"), env, Duration.ofMinutes(1));
        long started = System.nanoTime();
        CommandResult up = Commands.run(List.of(script().toString(), "up"), env, UP_TIMEOUT,
                runDir.getParent().resolve("apiserver-cluster-build.log"));
        if (up.exitCode() != 0) {
            throw new IllegalStateException("bin/cluster up failed (exit " + up.exitCode() + "):\n" + up.stderr()
                    + "\n" + tail(runDir.resolve("kube-apiserver.log")));
        }
        System.out.printf("[apiserver tier] control plane up in %.1f s (%s)%n", (System.nanoTime() - started) / 1e9,
                runDir);
        ControlPlane plane = new ControlPlane(runDir, Path.of(exports.get("KUBECONFIG")), binDir, apiPort, etcdPort);
        running = plane;
        return plane;
    }

    /** Stops what bin/cluster started and removes its run data (the root store calls this at the end of the run). */
    @Override
    public void close() {
        running = null;
        CommandResult down = Commands.run(List.of(script().toString(), "down"), environment(),
                Duration.ofMinutes(1));
        if (down.exitCode() != 0) {
            System.err.println("[apiserver tier] bin/cluster down failed: " + down.stderr());
        }
    }

    private static Path script() {
        return Repository.path("bin/cluster");
    }

    private Map<String, String> environment() {
        return environment(runDir, apiPort, etcdPort);
    }

    private static Map<String, String> environment(Path runDir, int apiPort, int etcdPort) {
        return Map.of("NFTPOLICY_CLUSTER_DIR", runDir.toString(),
                "NFTPOLICY_CLUSTER_PORT", Integer.toString(apiPort),
                "NFTPOLICY_ETCD_PORT", Integer.toString(etcdPort));
    }

    /** A loopback port free now (and, with {@code pair}, the next one too). */
    private static int freePort(boolean pair) {
        for (int attempt = 0; attempt < 50; attempt++) {
            try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                int port = socket.getLocalPort();
                if (!pair || (port < 65535 && bindable(port + 1))) {
                    return port;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no two consecutive free loopback ports");
    }

    private static boolean bindable(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException taken) {
            return false;
        }
    }

    private static Map<String, String> exports(String envOutput) {
        Map<String, String> exports = new java.util.HashMap<>();
        for (String line : envOutput.split("\n")) {
            Matcher m = EXPORT.matcher(line.strip());
            if (m.matches()) {
                exports.put(m.group(1), m.group(2));
            }
        }
        if (!exports.containsKey("KUBECONFIG") || !exports.containsKey("PATH")) {
            throw new IllegalStateException("bin/cluster env printed no KUBECONFIG and PATH:\n" + envOutput);
        }
        return exports;
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no " + log + ")";
        }
    }

    // ---- using it ----

    /** The admin kubeconfig (client certificate in group system:masters). */
    public Path kubeconfig() {
        return kubeconfig;
    }

    public Path runDir() {
        return runDir;
    }

    /** A new client with the admin's credentials. */
    public KubernetesClient adminClient() {
        return clientFor(kubeconfig);
    }

    /** A new client with the credentials of {@code kubeconfigFile}. */
    public static KubernetesClient clientFor(Path kubeconfigFile) {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigFile.toFile())).build();
    }

    /** The kubectl built with the control plane. */
    public Path kubectlPath() {
        return binDir.resolve("kubectl");
    }

    /** kubectl as the admin; fails the test when kubectl exits non-zero. */
    public String kubectl(String... args) {
        CommandResult result = kubectlResult(args);
        if (result.exitCode() != 0) {
            throw new AssertionError("kubectl " + String.join(" ", args) + " exited " + result.exitCode() + ":\n"
                    + result.stderr() + result.stdout());
        }
        return result.stdout();
    }

    /** kubectl as the admin, whatever its exit code. */
    public CommandResult kubectlResult(String... args) {
        return kubectlWith(kubeconfig, args);
    }

    /** kubectl with the credentials of {@code kubeconfigFile}, whatever its exit code. */
    public CommandResult kubectlWith(Path kubeconfigFile, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(binDir.resolve("kubectl").toString());
        argv.add("--kubeconfig=" + kubeconfigFile);
        argv.addAll(List.of(args));
        return Commands.run(argv, Map.of(), Duration.ofMinutes(2));
    }

    /** Stops or starts one component ({@code etcd}, {@code kube-apiserver}, ...) for fault tests. */
    public void component(String action, String component) {
        CommandResult result = Commands.run(List.of(script().toString(), action, component), environment(),
                Duration.ofMinutes(3));
        if (result.exitCode() != 0) {
            throw new AssertionError("bin/cluster " + action + " " + component + ": " + result.stderr());
        }
    }

    /**
     * A kubeconfig for a bearer token (the agent's, from the TokenRequest API), beside the admin's.
     *
     * @param name file name stem in the run directory
     */
    public Path tokenKubeconfig(String name, String token) {
        return tokenKubeconfig(name, token, apiPort);
    }

    /** The same, reaching the API server through {@code port} on 127.0.0.1 (a proxy in front of it). */
    public Path tokenKubeconfig(String name, String token, int port) {
        Path file = runDir.resolve(name + ".kubeconfig");
        String server = "https://127.0.0.1:" + port;
        String yaml = """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: nftpolicy-test
                    cluster:
                      server: %s
                      certificate-authority: %s
                users:
                  - name: %s
                    user:
                      token: %s
                contexts:
                  - name: %s
                    context:
                      cluster: nftpolicy-test
                      user: %s
                current-context: %s
                """.formatted(server, runDir.resolve("pki/ca.crt"), name, token, name, name, name);
        try {
            Files.writeString(file, yaml);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /**
     * Compacts etcd's history up to its current revision (etcd's JSON gateway), as kube-apiserver does every five
     * minutes: a watch resumed from an older resourceVersion can then only get 410 Gone.
     *
     * @return the revision compacted to
     */
    public long compactEtcd() {
        HttpClient http = HttpClient.newHttpClient();
        try {
            String range = post(http, "/v3/kv/range", "{\"key\":\"AA==\",\"limit\":1}");
            Matcher m = Pattern.compile("\"revision\":\"(\\d+)\"").matcher(range);
            if (!m.find()) {
                throw new IllegalStateException("no revision in etcd's answer: " + range);
            }
            long revision = Long.parseLong(m.group(1));
            post(http, "/v3/kv/compaction", "{\"revision\":\"" + revision + "\",\"physical\":true}");
            return revision;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String post(HttpClient http, String path, String json) throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + etcdPort + path))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException("etcd " + path + ": HTTP " + response.statusCode() + " " + response.body());
        }
        return response.body();
    }

    /** The API server's address (https). */
    public java.net.InetSocketAddress apiAddress() {
        return new java.net.InetSocketAddress("127.0.0.1", apiPort);
    }
}
