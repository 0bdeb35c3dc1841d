package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.MockCluster;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.crd.Condition;
import io.nftpolicy.testing.KernelTest;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code nftpolicy run}: its options, and a whole run against the mock API server and a network namespace. */
class RunCommandTest {

    @Test
    void withoutANodeNameItSaysHowToGiveOne() {
        Cli.Result result = Cli.system().run("run", "--node", "");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.ERROR);
        assertThat(result.err()).contains("no node name: give --node or set NODE_NAME");
    }

    @Test
    void nonsenseTimingsAreRefused() {
        assertThat(Cli.system().run("run", "--node", "n", "--drift-check-seconds", "0").err())
                .contains("--drift-check-seconds must be positive");
        assertThat(Cli.system().run("run", "--node", "n", "--coalesce-ms", "-1").err())
                .contains("--coalesce-ms must not be negative");
        assertThat(Cli.system().run("run", "--node", "n", "--metrics-port", "70000").err())
                .contains("--metrics-port must be 0-65535");
    }

    @Test
    void observabilityOptionsAreChecked() {
        assertThat(Cli.system().run("run", "--node", "n", "--log-format", "yaml").err())
                .contains("--log-format must be text or json, got \"yaml\"");
        assertThat(Cli.system().run("run", "--node", "n", "--log-level", "verbose").err())
                .contains("--log-level: not a log level: \"verbose\"");
        assertThat(Cli.system().run("run", "--node", "n", "--metrics-bind-address", "127.0.0.1").err())
                .contains("--metrics-bind-address: \"127.0.0.1\" is not HOST:PORT");
        assertThat(Cli.system().run("run", "--node", "n", "--metrics-bind-address", "[::1]:x").err())
                .contains("--metrics-bind-address: \"[::1]:x\" is not HOST:PORT");
        assertThat(Cli.system().run("run", "--node", "n", "--metrics-bind-address", ":1", "--metrics-port", "2")
                .err()).contains("give --metrics-bind-address or --metrics-port, not both");
    }

    @Test
    void helpListsTheOptions() {
        Cli.Result result = Cli.system().run("run", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("--node", "--metrics-bind-address", "--metrics-port", "--log-format",
                "--log-level", "--netns", "--coalesce-ms", "--drift-check-seconds", "NODE_NAME");
        assertThat(Cli.system().run("--help").out()).contains("run");
    }

    @Test
    void podCidrsAreForFailClosedModeAndMustBeCidrs() {
        assertThat(Cli.system().run("run", "--node", "n", "--pod-cidr", "10.244.1.0/24").err())
                .contains("--pod-cidr is for fail-closed mode: add --fail-closed");
        assertThat(Cli.system().run("run", "--node", "n", "--fail-closed", "--pod-cidr", "10.244.1.0/33").err())
                .contains("--pod-cidr: \"10.244.1.0/33\" is not a CIDR: prefix length above 32");
    }

    /** The command on its own thread, against the mock cluster and a network namespace. */
    private record Running(Thread thread, CountDownLatch stop, AtomicInteger exit, StringWriter err,
                           AtomicInteger stopped, AtomicReference<String> openedIn) {
        void stopAndJoin() throws InterruptedException {
            stop.countDown();
            thread.join(Duration.ofSeconds(30).toMillis());
        }
    }

    private static Running run(MockCluster cluster, String... args) {
        return run(cluster, null, args);
    }

    /** With {@code fixed} null, opens libnftables in the namespace {@code --netns} names. */
    private static Running run(MockCluster cluster, NftExecutor fixed, String... args) {
        int node = java.util.Arrays.asList(args).indexOf("--node");
        if (node >= 0) {
            MockCluster.ensureNode(cluster.client(), args[node + 1]);
        }
        CountDownLatch stop = new CountDownLatch(1);
        AtomicReference<String> openedIn = new AtomicReference<>();
        AtomicInteger stopped = new AtomicInteger();
        RunCommand.Environment environment = new RunCommand.Environment() {
            @Override
            public KubernetesClient client() {
                return cluster.newClient();
            }

            @Override
            public NftExecutor executor(String name) throws ApplyException {
                openedIn.set(name);
                return fixed != null ? fixed : LibnftablesExecutor.openInNamespace(name);
            }

            @Override
            public void awaitStop() throws InterruptedException {
                stop.await();
            }

            @Override
            public void stopped() {
                stopped.incrementAndGet();
            }
        };
        CommandLine commandLine = new CommandLine(new RunCommand(environment));
        ErrorHandler errors = new ErrorHandler();
        commandLine.setExecutionExceptionHandler(errors).setParameterExceptionHandler(errors);
        StringWriter err = new StringWriter();
        commandLine.setErr(new PrintWriter(err, true));
        AtomicInteger exit = new AtomicInteger(-1);
        Thread thread = new Thread(() -> exit.set(commandLine.execute(args)));
        thread.start();
        return new Running(thread, stop, exit, err, stopped, openedIn);
    }

    @Test
    void itLogsJsonAndServesJvmBuildAndSyncMetricsOnTheBindAddress() throws Exception {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
        long started = Instant.now().getEpochSecond();
        try (MockCluster cluster = new MockCluster()) {
            cluster.namespace("dev", Map.of());
            cluster.pod("dev", "db", "node-1", "10.244.1.10", Map.of("app", "db"));
            // 127.0.0.2 is loopback too, but another address than 127.0.0.1: only a bound address answers there.
            Running run = run(cluster, new FakeNft(), "--node", "node-1", "--metrics-bind-address", "127.0.0.2:0",
                    "--log-format", "json", "--log-level", "info", "--coalesce-ms", "5");
            try {
                int port = await().atMost(Duration.ofSeconds(20)).until(() -> servingPort(log), p -> p > 0);
                String metrics = await().atMost(Duration.ofSeconds(20)).until(
                        () -> get("127.0.0.2", port, "/metrics"),
                        m -> m.contains("nftpolicy_last_successful_sync_timestamp_seconds")
                                && !m.contains("nftpolicy_last_successful_sync_timestamp_seconds 0.0"));

                assertThat(metrics).contains("jvm_memory_used_bytes{", "jvm_gc_memory_allocated_bytes_total",
                        "jvm_threads_live_threads", "jvm_classes_loaded_classes", "system_cpu_count",
                        "process_cpu_usage", "process_uptime_seconds", "process_files_open_files",
                        "nftpolicy_build_info{java_version=\"" + Runtime.version() + "\",version=\"");
                assertThat(metrics.lines().filter(l -> l.startsWith("nftpolicy_build_info{"))).singleElement()
                        .satisfies(l -> assertThat(l).matches(".*} 1(\\.0)?"));
                double lastSync = Double.parseDouble(metrics.lines()
                        .filter(l -> l.startsWith("nftpolicy_last_successful_sync_timestamp_seconds "))
                        .findFirst().orElseThrow().split(" ")[1]);
                assertThat(lastSync).isBetween((double) started, Instant.now().getEpochSecond() + 1.0);
                assertThat(catchThrowable(() -> get("127.0.0.1", port, "/metrics")))
                        .as("not bound on 127.0.0.1").isInstanceOf(java.net.ConnectException.class);
            } finally {
                run.stopAndJoin();
            }
            assertThat(run.exit().get()).as(run.err().toString()).isZero();
        } finally {
            System.setErr(originalErr);
        }
        ObjectMapper json = new ObjectMapper();
        List<String> lines = log.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).isNotEmpty().allSatisfy(line -> {
            JsonNode event = json.readTree(line);
            assertThat(event.get("timestamp").asLong()).isPositive();
            assertThat(event.get("level").asText()).isIn("INFO", "WARN", "ERROR");
        });
    }

    /** The port the agent's JSON log says it serves on, or 0 before it says so. */
    private static int servingPort(ByteArrayOutputStream log) throws Exception {
        ObjectMapper json = new ObjectMapper();
        for (String line : log.toString(StandardCharsets.UTF_8).lines().toList()) {
            Matcher port = Pattern.compile("serving /metrics.* on port (\\d+)")
                    .matcher(json.readTree(line).path("formattedMessage").asText());
            if (port.find()) {
                return Integer.parseInt(port.group(1));
            }
        }
        return 0;
    }

    private static String get(String host, int port, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + path))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    @KernelTest
    @Test
    void itRunsUntilToldToStopAndLeavesTheRulesInTheKernel() throws Exception {
        try (NetworkNamespace netns = NetworkNamespace.create("nftt-run"); MockCluster cluster = new MockCluster()) {
            cluster.namespace("dev", Map.of());
            cluster.pod("dev", "db", "node-1", "10.244.1.10", Map.of("app", "db"));
            cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
            Running run = run(cluster, "--node", "node-1", "--metrics-port", "0", "--netns", netns.name(),
                    "--coalesce-ms", "5", "--drift-check-seconds", "1");

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                var status = cluster.status("node-1");
                assertThat(status).isNotNull();
                assertThat(status.getStatus()).isNotNull();
                assertThat(status.getStatus().conditions().get(0).status()).isEqualTo(Condition.TRUE);
                assertThat(status.getStatus().counts().policies()).isEqualTo(1);
            });
            assertThat(run.openedIn().get()).isEqualTo(netns.name());
            assertThat(netns.nft("list", "table", "inet", "nftpolicy")).contains("-dev_allow-db {");

            run.stopAndJoin();

            assertThat(run.thread().isAlive()).isFalse();
            assertThat(run.exit().get()).as(run.err().toString()).isZero();
            assertThat(run.stopped().get()).isEqualTo(1);
            assertThat(netns.nft("list", "table", "inet", "nftpolicy")).contains("-dev_allow-db {");
        }
    }

    @KernelTest
    @Test
    void failClosedModeTakesThePodCidrsFromTheNode() throws Exception {
        try (NetworkNamespace netns = NetworkNamespace.create("nftt-runfc"); MockCluster cluster = new MockCluster()) {
            cluster.namespace("dev", Map.of());
            cluster.pod("dev", "db", "node-1", "10.244.1.10", Map.of("app", "db"));
            cluster.client().nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder()
                    .withNewMetadata().withName("node-1").endMetadata()
                    .withNewSpec().withPodCIDR("10.244.1.0/24").withPodCIDRs("10.244.1.0/24", "fd00:10:244:1::/64")
                    .endSpec().build()).create();
            Running run = run(cluster, "--node", "node-1", "--metrics-port", "0", "--netns", netns.name(),
                    "--fail-closed");

            await().atMost(Duration.ofSeconds(20)).until(() -> netns.nft("list", "tables").contains("nftpolicy"));
            String table = netns.nft("list", "table", "inet", "nftpolicy");
            assertThat(table).contains("set pod-cidrs-v4 {", "10.244.1.0/24", "set pod-cidrs-v6 {", "fd00:10:244:1::/64",
                    "set local-pods-v4 {", "10.244.1.10 comment \"dev/db\"",
                    "ip saddr @pod-cidrs-v4 ip saddr != @local-pods-v4 drop");

            run.stopAndJoin();
            assertThat(run.exit().get()).as(run.err().toString()).isZero();
        }
    }
}
