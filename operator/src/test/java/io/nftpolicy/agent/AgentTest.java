package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.nftpolicy.agent.reporting.EventRecorder;
import io.nftpolicy.agent.reporting.StatusReporter;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.agent.sync.Trigger;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.backend.sync.Keys;
import io.nftpolicy.backend.sync.Transaction;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.crd.Condition;
import io.nftpolicy.crd.InvalidPolicy;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodeSyncStatus;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent against fabric8's mock API server (CRUD mode) and the in-memory kernel: what a change in the cluster
 * does to the node's table, its status resource, Events, probes and metrics.
 *
 * <p>The cluster: namespace dev with, on node-1, db (app=db), client and idle; on node-2, remote.
 */
class AgentTest {
    static final String NODE = "node-1";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private MockCluster cluster;
    private FakeNft fake;
    private RecordingExecutor kernel;
    private AgentHarness harness;

    @BeforeEach
    void cluster() {
        cluster = new MockCluster();
        cluster.namespace("dev", Map.of("team", "dev"));
        cluster.pod("dev", "db", NODE, "10.244.1.10", Map.of("app", "db"));
        cluster.pod("dev", "client", NODE, "10.244.1.11", Map.of("app", "client"));
        cluster.pod("dev", "idle", NODE, "10.244.1.12", Map.of("app", "idle"));
        cluster.pod("dev", "remote", "node-2", "10.244.2.10", Map.of("app", "remote"));
        fake = new FakeNft();
        kernel = new RecordingExecutor(fake);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (harness != null) {
            harness.close();
        }
        cluster.close();
    }

    private Optional<Ruleset> table() {
        return new CommittedTable(kernel, fake).ruleset();
    }

    private List<String> chainNames() {
        return new CommittedTable(kernel, fake).chainNames();
    }

    private List<String> peerElements() {
        return new CommittedTable(kernel, fake).peerElements();
    }

    private AgentHarness startAgent() throws Exception {
        harness = AgentHarness.start(cluster, NODE, kernel);
        await().atMost(TIMEOUT).until(harness.agent::ready);
        return harness;
    }

    private NodeSyncStatus status() {
        NodePolicyStatus resource = cluster.status(NODE);
        return resource == null ? null : resource.getStatus();
    }

    private static Condition ready(NodeSyncStatus status) {
        return status.conditions().stream().filter(c -> c.type().equals(Condition.READY)).findFirst().orElseThrow();
    }

    @Test
    void aPolicyGetsItsChainAndTheStatusSaysSo() throws Exception {
        startAgent();
        assertThat(chainNames()).containsExactlyInAnyOrder("filter-forward", "filter-input", EstablishedFlows.STAMP_CHAIN);

        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));

        await().atMost(TIMEOUT).until(() -> chainNames().stream().anyMatch(c -> c.endsWith("-dev_allow-db")));
        await().atMost(TIMEOUT).untilAsserted(() -> {
            NodeSyncStatus status = status();
            assertThat(status).isNotNull();
            assertThat(status.counts().policies()).isEqualTo(1);
            assertThat(status.counts().localPods()).isEqualTo(3);
            assertThat(status.counts().chains()).as("the base chains, the stamp chain, the policy's").isEqualTo(4);
            assertThat(status.appliedRulesetHash())
                    .isEqualTo(StatusReporter.hash(harness.reports().get(harness.reports().size() - 1).ruleset()
                            .orElseThrow()))
                    .hasSize(16);
            assertThat(status.appliedAt()).isNotNull();
            assertThat(status.lastError()).isNull();
            assertThat(status.invalidPolicies()).isEmpty();
            assertThat(ready(status).status()).isEqualTo(Condition.TRUE);
            assertThat(ready(status).reason()).isEqualTo(StatusReporter.REASON_SYNCED);
        });
        SyncReport last = harness.reports(Trigger.EVENTS).get(harness.reports(Trigger.EVENTS).size() - 1);
        assertThat(last.eventToKernelNanos()).isPresent();
        assertThat(last.result().orElseThrow().operations()).isPositive();
    }

    @Test
    void labellingAPodChangesOnlySetElements() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        startAgent();
        assertThat(peerElements()).isEmpty();
        int before = kernel.commits().size();

        cluster.label("dev", "client", "role", "frontend");

        await().atMost(TIMEOUT).until(() -> peerElements().contains("10.244.1.11"));
        List<RecordingExecutor.Commit> commits = kernel.commits().subList(before, kernel.commits().size());
        assertThat(commits).hasSize(1);
        assertThat(commits.get(0).elementsOnly()).as(commits.get(0).script()).isTrue();
        assertThat(commits.get(0).script()).contains("10.244.1.11");
    }

    @Test
    void deletingThePolicyRemovesItsChains() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        startAgent();
        assertThat(chainNames()).anyMatch(c -> c.endsWith("-dev_allow-db"));

        cluster.deletePolicy("dev", "allow-db");

        await().atMost(TIMEOUT).until(() -> chainNames().size() == 3);
        assertThat(chainNames()).containsExactlyInAnyOrder("filter-forward", "filter-input", EstablishedFlows.STAMP_CHAIN);
        await().atMost(TIMEOUT).until(() -> status().counts().policies() == 0);
    }

    @Test
    void anInvalidPolicyIsListedInTheStatusWithOneEventPerGenerationAndTheOthersAreEnforced() throws Exception {
        startAgent();

        cluster.invalid("dev", "broken", Map.of("app", "idle"));
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(status().invalidPolicies())
                .extracting(InvalidPolicy::namespace, InvalidPolicy::name, InvalidPolicy::field)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("dev", "broken",
                        "spec.ingress[0].from[0].ipBlock.cidr")));
        assertThat(status().invalidPolicies().get(0).reason()).contains("10.0.0.0/33");
        // The valid one is enforced; the invalid one's pod is isolated (fail closed): its chain drops.
        assertThat(chainNames()).anyMatch(c -> c.endsWith("-dev_allow-db")).anyMatch(c -> c.endsWith("-dev_broken"));
        await().atMost(TIMEOUT).until(() -> invalidEvents().size() == 1);
        Event event = invalidEvents().get(0);
        assertThat(event.getInvolvedObject().getKind()).isEqualTo("NetworkPolicy");
        assertThat(event.getInvolvedObject().getName()).isEqualTo("broken");
        assertThat(event.getInvolvedObject().getUid()).isNotBlank();
        assertThat(event.getType()).isEqualTo("Warning");
        assertThat(event.getMessage()).contains("NetworkPolicy dev/broken: spec.ingress[0].from[0].ipBlock.cidr");
        assertThat(event.getSource().getHost()).isEqualTo(NODE);

        // More syncs: no second Event for the same generation.
        cluster.label("dev", "client", "role", "frontend");
        await().atMost(TIMEOUT).until(() -> peerElements().contains("10.244.1.11"));
        await().during(Duration.ofMillis(300)).atMost(TIMEOUT).until(() -> invalidEvents().size() == 1);

        // A new generation, still invalid: one more Event.
        cluster.client().network().v1().networkPolicies().inNamespace("dev").withName("broken").edit(p -> {
            p.getSpec().getIngress().get(0).getFrom().get(0).getIpBlock().setCidr("10.0.0.0/34");
            return p;
        });
        await().atMost(TIMEOUT).until(() -> invalidEvents().size() == 2);
        assertThat(invalidEvents()).anyMatch(e -> e.getMessage().contains("10.0.0.0/34"));
        assertThat(harness.get("/metrics").body()).contains("nftpolicy_invalid_policies 1.0");
    }

    private List<Event> invalidEvents() {
        return cluster.events("dev").stream().filter(e -> e.getReason().equals(EventRecorder.INVALID)).toList();
    }

    /**
     * The mock server takes 250-450 ms to create 50 pods even from 8 threads (about 5 ms each) on a quiet machine,
     * and seconds on a loaded one: with a 100 ms window, as --coalesce-ms sets it, the burst costs at most one sync
     * per window it spans (and one more for the last window), far fewer than one per pod.
     * {@code SyncLoopCoalescingTest} shows the changes of one window giving one sync.
     */
    @Test
    void aBurstOfFiftyPodsIsAFewSyncs() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        harness = AgentHarness.create(cluster, NODE, kernel, AgentHarness.FAST.withCoalesce(Duration.ofMillis(100)));
        harness.agent.start();
        await().atMost(TIMEOUT).until(harness.agent::ready);
        // Warm-up (the JIT, the mock server): a first small burst, not counted.
        java.util.stream.IntStream.range(0, 10).parallel().forEach(i -> cluster.pod("dev", "warm-" + i, "node-3",
                "10.244.3." + (100 + i), Map.of("role", "frontend")));
        await().atMost(TIMEOUT).until(() -> peerElements().size() == 10);
        int syncsBefore = harness.reports().size();

        long start = System.nanoTime();
        java.util.stream.IntStream.range(0, 50).parallel().forEach(i -> cluster.pod("dev", "web-" + i,
                i % 2 == 0 ? NODE : "node-2", "10.244." + (1 + i % 2) + "." + (100 + i), Map.of("role", "frontend")));
        long createdMillis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("50 pods created in %d ms%n", createdMillis);

        await().atMost(TIMEOUT).until(() -> peerElements().size() == 60);
        int syncs = harness.reports().size() - syncsBefore;
        System.out.println("syncs for 50 pods: " + syncs);
        assertThat(syncs).as("syncs for 50 pod creations over %d ms", createdMillis)
                .isBetween(1, (int) (createdMillis / 100) + 2).isLessThan(50);
    }

    @Test
    void aFailingKernelIsRetriedWithBackOffReportedAndRecovered() throws Exception {
        startAgent();
        kernel.failNext(4);

        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));

        await().atMost(TIMEOUT).untilAsserted(() -> {
            NodeSyncStatus status = status();
            assertThat(status.lastError()).isNotNull();
            assertThat(status.lastError().message()).contains("Cannot allocate memory");
            assertThat(ready(status).status()).isEqualTo(Condition.FALSE);
            assertThat(ready(status).reason()).isEqualTo(StatusReporter.REASON_SYNC_FAILED);
        });
        await().atMost(TIMEOUT).until(() -> chainNames().stream().anyMatch(c -> c.endsWith("-dev_allow-db")));
        List<SyncReport> failures = harness.reports().stream().filter(r -> !r.succeeded()).toList();
        assertThat(failures).hasSize(4);
        assertThat(failures).extracting(r -> r.retryIn().orElseThrow().toMillis())
                .containsExactly(100L, 200L, 400L, 800L);
        assertThat(failures).extracting(SyncReport::consecutiveFailures).containsExactly(1, 2, 3, 4);
        SyncReport recovery = harness.reports().get(harness.reports().size() - 1);
        assertThat(recovery.trigger()).isEqualTo(Trigger.RETRY);
        assertThat(recovery.result().orElseThrow().readBack()).as("the retry re-reads the kernel").isTrue();
        assertThat(recovery.eventToKernelNanos()).isPresent();
        await().atMost(TIMEOUT).untilAsserted(() -> {
            NodeSyncStatus status = status();
            assertThat(status.lastError()).isNull();
            assertThat(ready(status).status()).isEqualTo(Condition.TRUE);
            assertThat(status.counts().policies()).isEqualTo(1);
        });
        // One ApplyFailed Event for the four identical failures, on the policy the refused rule came from or on the
        // node's status resource.
        List<Event> applyFailed = new java.util.ArrayList<>(cluster.events("dev"));
        applyFailed.addAll(cluster.events("default"));
        applyFailed.removeIf(e -> !e.getReason().equals(EventRecorder.APPLY_FAILED));
        assertThat(applyFailed).hasSize(1);
        assertThat(applyFailed.get(0).getMessage()).contains("node-1").contains("Cannot allocate memory");
        String metrics = harness.get("/metrics").body();
        assertThat(metrics).contains("nftpolicy_sync_failures_total{trigger=\"events\"} 1.0")
                .contains("nftpolicy_sync_failures_total{trigger=\"retry\"} 3.0");
    }

    @Test
    void readyzIsUnavailableUntilTheFirstSuccessfulSync() throws Exception {
        kernel.failNext(3);
        harness = AgentHarness.start(cluster, NODE, kernel);

        await().atMost(TIMEOUT).until(() -> kernel.refused() >= 1);
        assertThat(harness.get("/readyz").statusCode()).isEqualTo(503);
        assertThat(harness.get("/healthz").statusCode()).isEqualTo(200);

        await().atMost(TIMEOUT).until(harness.agent::ready);
        assertThat(harness.get("/readyz").statusCode()).isEqualTo(200);
        assertThat(harness.get("/healthz").statusCode()).isEqualTo(200);
        assertThat(harness.get("/nothing").statusCode()).isEqualTo(404);
    }

    @Test
    void metricsExposeTheCountersHistogramsAndGauges() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        startAgent();
        cluster.label("dev", "client", "role", "frontend");
        await().atMost(TIMEOUT).until(() -> peerElements().contains("10.244.1.11"));

        var response = harness.get("/metrics");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
                t -> assertThat(t).startsWith("text/plain"));
        String body = response.body();
        assertThat(body)
                .contains("nftpolicy_syncs_total{trigger=\"startup\"} 1.0")
                .containsPattern("nftpolicy_syncs_total\\{trigger=\"events\"} [1-9]")
                .contains("nftpolicy_sync_failures_total{trigger=\"events\"} 0.0")
                .contains("nftpolicy_event_to_kernel_seconds_bucket{le=\"0.1\"}")
                .containsPattern("nftpolicy_event_to_kernel_seconds_count [1-9]")
                .contains("nftpolicy_sync_duration_seconds_count")
                .containsPattern("nftpolicy_transaction_operations_count [1-9]")
                .contains("nftpolicy_drift_repairs_total 0.0")
                .containsPattern("nftpolicy_set_elements [1-9]")
                .contains("nftpolicy_invalid_policies 0.0")
                .contains("nftpolicy_local_pods 3.0")
                .contains("nftpolicy_policies 1.0");
    }

    @Test
    void driftMadeByHandIsRepairedAtTheNextCheck() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        cluster.label("dev", "client", "role", "frontend");
        startAgent();
        NamedSet peers = table().orElseThrow().sets().stream().filter(s -> s.name().startsWith("peer-"))
                .findFirst().orElseThrow();
        assertThat(peers.elements()).hasSize(1);

        kernel.locked(() -> {
            try {
                return fake.run(new Transaction().delete(Keys.key(peers.name(), "10.244.1.11")));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(peerElements()).isEmpty();

        await().atMost(Duration.ofSeconds(5)).until(() -> peerElements().contains("10.244.1.11"));
        // The repair's report is recorded just after its transaction commits.
        await().atMost(TIMEOUT).until(() -> !harness.reports(Trigger.DRIFT).isEmpty());
        SyncReport repair = harness.reports(Trigger.DRIFT).get(0);
        assertThat(repair.result().orElseThrow().operations()).isEqualTo(1 + RecordingExecutor.Commit.GENERATION_OPERATIONS);
        assertThat(harness.driftChecks()).anyMatch(d -> !d.isEmpty());
        await().atMost(TIMEOUT).until(() -> harness.get("/metrics").body()
                .contains("nftpolicy_drift_repairs_total 1.0"));
    }

    @Test
    void aSyncThatChangesNothingDoesNotRewriteTheStatus() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        startAgent();
        await().atMost(TIMEOUT).until(() -> status() != null && status().counts() != null);
        String version = cluster.status(NODE).getMetadata().getResourceVersion();
        int syncs = harness.reports().size();

        // A pod on another node that no policy names: a sync, and nothing for this node's table.
        cluster.pod("dev", "elsewhere", "node-3", "10.244.3.10", Map.of("app", "elsewhere"));

        await().atMost(TIMEOUT).until(() -> harness.reports().size() > syncs);
        assertThat(harness.reports().get(syncs).result().orElseThrow().operations()).isZero();
        await().during(Duration.ofMillis(300)).atMost(TIMEOUT)
                .until(() -> cluster.status(NODE).getMetadata().getResourceVersion().equals(version));
    }

    @Test
    void theStatusResourceIsRecreatedWhenDeleted() throws Exception {
        startAgent();
        await().atMost(TIMEOUT).until(() -> status() != null);

        cluster.client().resources(NodePolicyStatus.class).withName(NODE).delete();
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));

        await().atMost(TIMEOUT).until(() -> status() != null && status().counts().policies() == 1);
        assertThat(cluster.status(NODE).getSpec().nodeName()).isEqualTo(NODE);
    }
}
