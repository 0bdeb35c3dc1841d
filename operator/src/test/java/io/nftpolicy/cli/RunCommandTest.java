package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.MockCluster;
import io.nftpolicy.backend.libnftables.TestNamespace;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.status.Condition;
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
    void itRunsUntilToldToStopAndLeavesTheRulesInTheKernel() throws Exception {
        try (TestNamespace netns = TestNamespace.create("run"); MockCluster cluster = new MockCluster()) {
            cluster.namespace("dev", Map.of());
            cluster.pod("dev", "db", "node-1", "10.244.1.10", Map.of("app", "db"));
            cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
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
            Thread run = new Thread(() -> exit.set(commandLine.execute("--node", "node-1", "--metrics-port", "0",
                    "--netns", netns.name(), "--coalesce-ms", "5", "--drift-check-seconds", "1")));
            run.start();

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                var status = cluster.status("node-1");
                assertThat(status).isNotNull();
                assertThat(status.getStatus()).isNotNull();
                assertThat(status.getStatus().conditions().get(0).status()).isEqualTo(Condition.TRUE);
                assertThat(status.getStatus().counts().policies()).isEqualTo(1);
            });
            assertThat(openedIn.get()).isEqualTo(netns.name());
            assertThat(netns.nft("list", "table", "inet", "nftpolicy")).contains("-dev_allow-db {");

            stop.countDown();
            run.join(Duration.ofSeconds(30).toMillis());

            assertThat(run.isAlive()).isFalse();
            assertThat(exit.get()).as(err.toString()).isZero();
            assertThat(stopped.get()).isEqualTo(1);
            assertThat(netns.nft("list", "table", "inet", "nftpolicy")).contains("-dev_allow-db {");
        }
    }
}
