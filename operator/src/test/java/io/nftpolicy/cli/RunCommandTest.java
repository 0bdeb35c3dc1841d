package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.MockCluster;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.crd.Condition;
import io.nftpolicy.testing.KernelTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
    void helpListsTheOptions() {
        Cli.Result result = Cli.system().run("run", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("--node", "--metrics-port", "--netns", "--coalesce-ms",
                "--drift-check-seconds", "NODE_NAME");
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
                return LibnftablesExecutor.openInNamespace(name);
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
