package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * An agent restarted while the API server cannot be reached (a TCP proxy in front of the mock server refuses every
 * connection), on a lab node: the table the previous agent left stays as it was (never flushed, never deleted), the
 * new agent is not ready, and once the API server is back it converges to the cluster as it is now. In fail-closed
 * mode a pod that appeared during the outage, whose address is in the node's pod CIDR but unknown to the old table,
 * is isolated until then: an allowed client's connections to it are dropped, and pass once the agent has synced.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class ApiOutageRestartKernelTest {
    private static final String NODE = "n1";
    private static final int PORT = 8080;
    private static final String NEW_POD = "10.244.1.10";
    /** How long the new agent runs without an API server before it comes back. */
    private static final Duration OUTAGE = Duration.ofSeconds(3);

    private Lab lab;
    private MockCluster cluster;
    private CuttableProxy proxy;
    private volatile LibnftablesExecutor kernel;
    private LibnftablesExecutor witness;
    private volatile AgentHarness agent;

    @BeforeAll
    void startLab() throws Exception {
        lab = Lab.start(List.of(
                new LabPod("dev/client", NODE, List.of("10.244.1.2"), List.of(Endpoint.tcp(PORT))),
                new LabPod("dev/db", NODE, List.of("10.244.1.3"), List.of(Endpoint.tcp(PORT))),
                new LabPod("dev/late", NODE, List.of(NEW_POD), List.of(Endpoint.tcp(PORT)))), LabOptions.defaults());
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @AfterEach
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {agent, kernel, witness, proxy, cluster}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // the next resource still gets closed
            }
        }
        agent = null;
    }

    @ParameterizedTest(name = "fail-closed {0}")
    @ValueSource(booleans = {false, true})
    void aRestartWithoutApiServerKeepsTheTableAndConvergesWhenItIsBack(boolean failClosed) throws Exception {
        cluster = new MockCluster();
        cluster.namespace("dev", Map.of());
        cluster.pod("dev", "client", NODE, "10.244.1.2", Map.of("app", "client"));
        cluster.pod("dev", "db", NODE, "10.244.1.3", Map.of("app", "target"));
        cluster.allowFrom("dev", "allow-client", Map.of("app", "target"), Map.of("app", "client"));
        MockCluster.ensureNode(cluster.client(), NODE);
        proxy = new CuttableProxy(cluster.uri().getHost(), cluster.uri().getPort());
        String netns = lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE);
        witness = LibnftablesExecutor.openInNamespace(netns);
        Agent.Config config = failClosed
                ? AgentHarness.config(NODE).withFailClosed(List.of(Cidr.parse("10.244.1.0/24")))
                : AgentHarness.config(NODE);
        startAgent(netns, config);
        await().atMost(Duration.ofSeconds(15)).until(agent.agent::ready);
        Ruleset before = agent.reports().get(agent.reports().size() - 1).ruleset().orElseThrow();
        agent.close();
        kernel.close();

        proxy.cut();
        cluster.pod("dev", "late", NODE, NEW_POD, Map.of("app", "target"));
        long restarted = System.nanoTime();
        CompletableFuture<Void> starting = CompletableFuture.runAsync(() -> {
            try {
                startAgent(netns, config);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        InetSocketAddress late = new InetSocketAddress(InetAddress.getByName(NEW_POD), PORT);
        try (ConnectionAttempts toLate = ConnectionAttempts.start(lab, "dev/client", late, 5, 150)) {
            Thread.sleep(OUTAGE.toMillis());

            assertThat(starting).as("the agent keeps waiting for the API server, it does not give up").isNotDone();
            assertThat(agent.agent.ready()).as("ready without an API server").isFalse();
            assertThat(agent.get("/readyz").statusCode()).isEqualTo(503);
            assertThat(new RulesetApplier(witness).verify(before).differences())
                    .as("the previous agent's table, untouched during the outage").isEmpty();
            if (failClosed) {
                assertThat(toLate.attempts()).as("connections to a pod the table does not know, during the outage")
                        .hasSizeGreaterThan(50).noneMatch(ConnectionAttempts.Attempt::connected);
            }

            long back = System.nanoTime();
            proxy.restore();
            starting.get(30, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(agent.agent::ready);
            long ready = System.nanoTime();
            Ruleset after = agent.reports().get(agent.reports().size() - 1).ruleset().orElseThrow();
            assertThat(after).isNotEqualTo(before);
            assertThat(new RulesetApplier(witness).verify(after).differences()).isEmpty();
            await().atMost(Duration.ofSeconds(5)).until(() -> toLate.firstConnectedSince(back).isPresent());
            System.out.printf(Locale.ROOT, "API outage restart (fail-closed %s, 3 pods, outage %d s): ready %.0f ms "
                            + "after the API server came back (%.0f ms after the restart); %d connections to the "
                            + "new pod during the outage, %d connected%n", failClosed, OUTAGE.toSeconds(),
                    (ready - back) / 1e6, (ready - restarted) / 1e6,
                    toLate.attempts().stream().filter(a -> a.startNanos() - back < 0).count(),
                    toLate.attempts().stream().filter(a -> a.startNanos() - back < 0)
                            .filter(ConnectionAttempts.Attempt::connected).count());
        }
    }

    private void startAgent(String netns, Agent.Config config) throws Exception {
        kernel = LibnftablesExecutor.openInNamespace(netns);
        agent = AgentHarness.create(cluster.newClient(proxy.url(), 500), new RecordingExecutor(kernel), config);
        agent.agent.start();
    }
}
