package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.nftpolicy.agent.reporting.BridgeNetfilter;
import io.nftpolicy.agent.reporting.StatusReporter;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.crd.Condition;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodeSyncStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the NodePolicyStatus says of the agent itself: stopped, heartbeat, data plane, owner. */
class AgentStatusTest {
    private static final String NODE = "node-1";
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path bridge;
    private MockCluster cluster;
    private AgentHarness harness;

    @BeforeEach
    void cluster() throws Exception {
        cluster = new MockCluster();
        cluster.namespace("dev", Map.of());
        cluster.pod("dev", "db", NODE, "10.244.1.10", Map.of("app", "db"));
        sysctl(BridgeNetfilter.IPTABLES, "1");
        sysctl(BridgeNetfilter.IP6TABLES, "1");
    }

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
        cluster.close();
    }

    private void sysctl(String name, String value) throws Exception {
        Files.writeString(bridge.resolve(name), value + "\n");
    }

    private void startAgent() throws Exception {
        harness = AgentHarness.create(cluster, new RecordingExecutor(new FakeNft()),
                AgentHarness.config(NODE).withBridgeSysctls(bridge));
        harness.agent.start();
        await().atMost(TIMEOUT).until(() -> condition(Condition.READY).map(Condition::status)
                .orElse("").equals(Condition.TRUE));
    }

    private NodeSyncStatus status() {
        NodePolicyStatus resource = cluster.status(NODE);
        return resource == null ? null : resource.getStatus();
    }

    private java.util.Optional<Condition> condition(String type) {
        NodeSyncStatus status = status();
        return status == null ? java.util.Optional.empty() : status.condition(type);
    }

    @Test
    void aStoppedAgentSaysReadyUnknownAtOnce() throws Exception {
        startAgent();

        harness.agent.close();

        Condition ready = condition(Condition.READY).orElseThrow();
        assertThat(ready.status()).isEqualTo(Condition.UNKNOWN);
        assertThat(ready.reason()).isEqualTo(StatusReporter.REASON_AGENT_STOPPED);
        assertThat(ready.message()).contains(NODE).contains("stopped");
    }

    @Test
    void bridgeNfCallIptablesZeroMakesDataplaneReadyFalseWithAMetric() throws Exception {
        startAgent();
        assertThat(condition(Condition.DATAPLANE_READY).orElseThrow().status()).isEqualTo(Condition.TRUE);

        sysctl(BridgeNetfilter.IPTABLES, "0");

        // The controller reconciles at least every drift interval (1 s in the tests) and checks then.
        await().atMost(TIMEOUT).untilAsserted(() -> {
            Condition dataplane = condition(Condition.DATAPLANE_READY).orElseThrow();
            assertThat(dataplane.status()).isEqualTo(Condition.FALSE);
            assertThat(dataplane.reason()).isEqualTo(BridgeNetfilter.REASON_DISABLED);
            assertThat(dataplane.message()).contains(BridgeNetfilter.IPTABLES + " 0");
        });
        assertThat(harness.get("/metrics").body()).contains("nftpolicy_dataplane_ready 0.0");
        assertThat(condition(Condition.READY).orElseThrow().status()).as("the ruleset is still applied")
                .isEqualTo(Condition.TRUE);

        sysctl(BridgeNetfilter.IPTABLES, "1");
        await().atMost(TIMEOUT).until(() -> condition(Condition.DATAPLANE_READY).orElseThrow().status()
                .equals(Condition.TRUE));
    }

    @Test
    void withoutBrNetfilterDataplaneReadyIsFalse() throws Exception {
        Files.delete(bridge.resolve(BridgeNetfilter.IPTABLES));
        Files.delete(bridge.resolve(BridgeNetfilter.IP6TABLES));
        startAgent();

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(condition(Condition.DATAPLANE_READY).orElseThrow()
                .reason()).isEqualTo(BridgeNetfilter.REASON_MISSING));
        assertThat(condition(Condition.DATAPLANE_READY).orElseThrow().status()).isEqualTo(Condition.FALSE);
    }

    @Test
    void conditionsCarryTheObservedGenerationAndTheStatusAHeartbeat() throws Exception {
        Instant before = Instant.now().minusSeconds(1);
        startAgent();

        NodeSyncStatus status = status();
        assertThat(status.conditions()).allSatisfy(c -> {
            assertThat(c.observedGeneration()).isNotNull();
            assertThat(c.lastTransitionTime()).isNotBlank();
        });
        assertThat(Instant.parse(status.heartbeatTime())).isAfter(before);
    }

    @Test
    void theStatusResourceIsOwnedByTheNode() throws Exception {
        startAgent();

        NodePolicyStatus resource = cluster.status(NODE);
        assertThat(resource.getMetadata().getOwnerReferences()).extracting(OwnerReference::getKind,
                OwnerReference::getName).containsExactly(org.assertj.core.groups.Tuple.tuple("Node", NODE));
        assertThat(cluster.client().nodes().withName(NODE).get().getMetadata().getFinalizers())
                .as("nothing written to the Node").isEmpty();
    }

    @Test
    void aPeerWhoseHeartbeatStoppedIsMarkedReadyUnknownWithinTwoHeartbeatsAndALiveOneIsNot() throws Exception {
        Duration heartbeat = Duration.ofSeconds(2);
        // A crashed agent's last status: Ready=True, a heartbeat that will not move again.
        NodePolicyStatus dead = cluster.client().resources(NodePolicyStatus.class)
                .resource(NodePolicyStatus.forNode("node-dead")).create();
        dead.setStatus(new NodeSyncStatus("0123456789abcdef", null, null, 1L, null, java.util.List.of(), null,
                java.util.List.of(Condition.ready(true, StatusReporter.REASON_SYNCED, "", Instant.now())),
                io.nftpolicy.crd.Timestamps.rfc3339(Instant.now())));
        cluster.client().resources(NodePolicyStatus.class).resource(dead).updateStatus();
        harness = AgentHarness.create(cluster, new RecordingExecutor(new FakeNft()),
                AgentHarness.config(NODE).withBridgeSysctls(bridge).withHeartbeat(heartbeat));
        try (AgentHarness peer = AgentHarness.create(cluster, new RecordingExecutor(new FakeNft()),
                AgentHarness.config("node-2").withBridgeSysctls(bridge).withHeartbeat(heartbeat))) {
            long started = System.nanoTime(); // the agents see the dead peer's heartbeat from their start
            harness.agent.start();
            peer.agent.start();

            await().atMost(TIMEOUT).until(() -> cluster.status("node-dead").getStatus().condition(Condition.READY)
                    .orElseThrow().status().equals(Condition.UNKNOWN));
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            Condition ready = cluster.status("node-dead").getStatus().condition(Condition.READY).orElseThrow();
            assertThat(ready.reason()).isEqualTo(StatusReporter.REASON_NOT_REPORTING);
            assertThat(ready.message()).contains("node-dead");
            // Seen at the peers' start; marked after one and a half heartbeats without a move, at the next
            // reconcile (every half heartbeat): two heartbeats, plus the start and the machine's load.
            assertThat(took).as("time to Ready=Unknown").isGreaterThanOrEqualTo(heartbeat.multipliedBy(3).dividedBy(2))
                    .isLessThan(heartbeat.multipliedBy(2).plusSeconds(3));
            for (String live : java.util.List.of(NODE, "node-2")) {
                assertThat(cluster.status(live).getStatus().condition(Condition.READY).orElseThrow().status())
                        .as("a live agent's Ready").isEqualTo(Condition.TRUE);
            }
        }
    }

    @Test
    void anInvalidPolicySeenByTwoNodesIsOneEventCountedTwice() throws Exception {
        cluster.invalid("dev", "broken", Map.of("app", "db"));
        startAgent();
        try (AgentHarness peer = AgentHarness.create(cluster, new RecordingExecutor(new FakeNft()),
                AgentHarness.config("node-2").withBridgeSysctls(bridge))) {
            peer.agent.start();

            await().atMost(TIMEOUT).untilAsserted(() -> {
                java.util.List<io.fabric8.kubernetes.api.model.Event> events = cluster.events("dev").stream()
                        .filter(e -> e.getReason().equals(io.nftpolicy.agent.reporting.EventRecorder.INVALID))
                        .toList();
                assertThat(events).hasSize(1);
                assertThat(events.get(0).getCount()).isEqualTo(2);
                assertThat(events.get(0).getInvolvedObject().getName()).isEqualTo("broken");
            });
        }
    }
}
