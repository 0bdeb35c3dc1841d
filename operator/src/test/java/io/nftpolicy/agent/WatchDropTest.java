package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.compile.RuleCounters;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.snapshot.SnapshotConverter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent's connections to the API server are cut (a TCP proxy in front of the mock server), the cluster changes
 * meanwhile, a deletion among the changes, and the connections come back: the agent converges to what a fresh
 * compilation of the cluster gives, on the in-memory kernel.
 */
class WatchDropTest {
    private static final String NODE = "node-1";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** The safety-net relist, short for the test (30 minutes by default). */
    private static final Duration RELIST = Duration.ofSeconds(2);

    private MockCluster cluster;
    private CuttableProxy proxy;
    private AgentHarness agent;
    private RecordingExecutor kernel;

    @BeforeEach
    void start() throws Exception {
        cluster = new MockCluster();
        cluster.namespace("dev", Map.of());
        cluster.pod("dev", "db", NODE, "10.244.1.10", Map.of("app", "db"));
        cluster.pod("dev", "client", NODE, "10.244.1.11", Map.of("role", "frontend"));
        cluster.pod("dev", "gone", "node-2", "10.244.2.12", Map.of("role", "frontend"));
        cluster.pod("dev", "idle", "node-2", "10.244.2.13", Map.of("app", "idle"));
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        cluster.allowFrom("dev", "allow-idle", Map.of("app", "idle"), Map.of("role", "frontend"));
        MockCluster.ensureNode(cluster.client(), NODE);
        proxy = new CuttableProxy(cluster.uri().getHost(), cluster.uri().getPort());
        kernel = new RecordingExecutor(new FakeNft());
        agent = AgentHarness.create(cluster.newClient(proxy.url(), 500), kernel,
                AgentHarness.config(NODE).withRelistInterval(RELIST));
        agent.agent.start();
        await().atMost(TIMEOUT).until(() -> agent.agent.ready() && agent.agent.cache().isWatching());
        assertThat(applied()).isEqualTo(expected());
    }

    @AfterEach
    void stop() {
        if (agent != null) {
            agent.close();
        }
        if (proxy != null) {
            proxy.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A fresh compilation of what the API server holds now, at the generation of what was applied last. */
    private Ruleset expected() {
        var client = cluster.client();
        var snapshot = new SnapshotConverter().convert(client.namespaces().list().getItems(),
                client.pods().inAnyNamespace().list().getItems(),
                client.network().v1().networkPolicies().inAnyNamespace().list().getItems()).snapshot();
        Ruleset compiled = new RuleCounters().apply(new EstablishedFlows().apply(
                new PolicyCompiler().compile(snapshot, NODE).ruleset()));
        return EstablishedFlows.withGeneration(compiled, EstablishedFlows.generation(applied()).orElseThrow());
    }

    private Ruleset applied() {
        return agent.reports().stream().filter(SyncReport::succeeded).reduce((a, b) -> b).orElseThrow()
                .ruleset().orElseThrow();
    }

    @Test
    void changesMadeWhileTheConnectionsWereDownArriveWhenTheyComeBack() throws Exception {
        proxy.cut();
        // fabric8 reconnects a broken watch by itself, and does not always say so (isWatching may stay true);
        // its attempts are refused until the proxy is restored.
        await().atMost(TIMEOUT).until(() -> proxy.refused() >= 3);

        cluster.deletePod("dev", "gone");
        cluster.pod("dev", "new", "node-2", "10.244.2.14", Map.of("role", "frontend"));
        cluster.label("dev", "idle", "role", "frontend");
        cluster.deletePolicy("dev", "allow-idle");
        cluster.allowFrom("dev", "allow-client", Map.of("role", "frontend"), Map.of("app", "db"));
        Ruleset wanted = expected();
        assertThat(applied()).as("nothing arrived while cut").isNotEqualTo(wanted);

        proxy.restore();

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(NftRenderer.render(applied()))
                .isEqualTo(NftRenderer.render(EstablishedFlows.withGeneration(wanted,
                        EstablishedFlows.generation(applied()).orElseThrow()))));
        assertThat(new RulesetApplier(kernel).verify(wanted).differences()).as("the kernel holds it").isEmpty();
        assertThat(agent.agent.cache().isWatching()).isTrue();
    }
}
