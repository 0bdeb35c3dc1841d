package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.nftpolicy.agent.reporting.EventRecorder;
import io.nftpolicy.agent.reporting.StatusReporter;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.agent.sync.Trigger;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.Drift;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.TableState;
import io.nftpolicy.crd.Condition;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodeSyncStatus;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent against the mock API server and the real kernel: libnftables in a network namespace of the test's own
 * (needs root; skipped otherwise). The nft command line, run in that namespace, is the independent witness.
 */
@KernelTest
class AgentKernelTest {
    private static final String NODE = AgentTest.NODE;
    private static final Duration TIMEOUT = Duration.ofSeconds(15);
    private static final Pattern PEER_SET = Pattern.compile("set (peer-[0-9a-f]+-v4) \\{");

    private NetworkNamespace netns;
    private MockCluster cluster;
    private final List<AgentHarness> agents = new ArrayList<>();
    private final List<LibnftablesExecutor> executors = new ArrayList<>();

    @BeforeEach
    void setUp() {
        netns = NetworkNamespace.create("nftt-agent");
        cluster = new MockCluster();
        cluster.namespace("dev", Map.of("team", "dev"));
        cluster.pod("dev", "db", NODE, "10.244.1.10", Map.of("app", "db"));
        cluster.pod("dev", "client", NODE, "10.244.1.11", Map.of("app", "client"));
        cluster.pod("dev", "idle", NODE, "10.244.1.12", Map.of("app", "idle"));
        cluster.pod("dev", "remote", "node-2", "10.244.2.10", Map.of("app", "remote"));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (AgentHarness agent : agents) {
                agent.close();
            }
            for (LibnftablesExecutor executor : executors) {
                executor.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        } finally {
            if (netns != null) {
                netns.close();
            }
        }
    }

    private AgentHarness startAgent() throws Exception {
        LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(netns.name());
        executors.add(executor);
        LibnftablesExecutor driftReader = LibnftablesExecutor.openInNamespace(netns.name());
        executors.add(driftReader);
        AgentHarness agent = AgentHarness.create(cluster, new RecordingExecutor(executor), driftReader,
                AgentHarness.config(NODE));
        agents.add(agent);
        agent.agent.start();
        await().atMost(TIMEOUT).until(agent.agent::ready);
        return agent;
    }

    private String table() {
        return netns.nft("list", "table", "inet", "nftpolicy");
    }

    private boolean hasTable() {
        return netns.nft("list", "tables").contains("inet nftpolicy");
    }

    private String peerSet() {
        Matcher m = PEER_SET.matcher(table());
        assertThat(m.find()).as("a peer set in\n" + table()).isTrue();
        return m.group(1);
    }

    @Test
    void aPolicyBecomesAChainALabelBecomesAnElementAndDeletionRemovesTheChain() throws Exception {
        AgentHarness agent = startAgent();
        assertThat(table()).contains("chain filter-forward").doesNotContain("dev_allow-db");

        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        await().atMost(TIMEOUT).until(() -> table().contains("-dev_allow-db {"));
        assertThat(table()).contains("comment \"dev/allow-db ingress[0].from[0]\"");

        int before = agent.executor.commits().size();
        cluster.label("dev", "client", "role", "frontend");
        await().atMost(TIMEOUT).until(() -> table().contains("10.244.1.11"));
        List<RecordingExecutor.Commit> commits = agent.executor.commits().subList(before,
                agent.executor.commits().size());
        assertThat(commits).hasSize(1);
        assertThat(commits.get(0).elementsOnly()).as(commits.get(0).script()).isTrue();

        cluster.deletePolicy("dev", "allow-db");
        await().atMost(TIMEOUT).until(() -> !table().contains("dev_allow-db"));
        assertThat(table()).contains("chain filter-forward").contains("chain filter-input");
        await().atMost(TIMEOUT).untilAsserted(() -> {
            var status = cluster.status(NODE).getStatus();
            assertThat(status.counts().policies()).isZero();
            assertThat(status.conditions().get(0).status()).isEqualTo(Condition.TRUE);
        });
    }

    @Test
    void anElementDeletedByHandIsRepairedWithinTheDriftInterval() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        cluster.label("dev", "client", "role", "frontend");
        AgentHarness agent = startAgent();
        String set = peerSet();
        assertThat(netns.nft("list", "set", "inet", "nftpolicy", set)).contains("10.244.1.11");

        long start = System.nanoTime();
        netns.nft("delete", "element", "inet", "nftpolicy", set, "{ 10.244.1.11 }");
        assertThat(netns.nft("list", "set", "inet", "nftpolicy", set)).doesNotContain("10.244.1.11");

        // Drift checks run every second (AgentHarness.FAST).
        await().atMost(Duration.ofSeconds(5)).until(
                () -> netns.nft("list", "set", "inet", "nftpolicy", set).contains("10.244.1.11"));
        long repairedMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(repairedMillis).isLessThan(3000);
        SyncReport repair = agent.reports(Trigger.DRIFT).get(0);
        assertThat(repair.result().orElseThrow().operations()).isEqualTo(1 + RecordingExecutor.Commit.GENERATION_OPERATIONS);
        assertThat(repair.result().orElseThrow().readBack()).isTrue();
        assertThat(agent.driftChecks()).anyMatch(d -> d.differences().stream()
                .anyMatch(line -> line.contains(set) && line.contains("10.244.1.11") && line.contains("missing")));
    }

    @Test
    void aTransactionTheKernelRefusesLeavesTheTableAsItWasIsReportedAndRetriedUntilItConverges() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        AgentHarness agent = startAgent();
        Ruleset before = agent.reports().get(agent.reports().size() - 1).result().orElseThrow().committed();
        List<NodeSyncStatus> statuses = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (Watch watch = cluster.client().resources(NodePolicyStatus.class).withName(NODE).watch(
                new Watcher<NodePolicyStatus>() {
                    @Override
                    public void eventReceived(Action action, NodePolicyStatus resource) {
                        if (resource.getStatus() != null) {
                            statuses.add(resource.getStatus());
                        }
                    }

                    @Override
                    public void onClose(WatcherException cause) {
                    }
                })) {
            // refused for longer than StatusReporter.MIN_WRITE_INTERVAL, so that the status shows it
            agent.executor.refuseInKernelNext(5);
            int commitsBefore = agent.executor.commits().size();

            cluster.label("dev", "client", "role", "frontend");

            await().atMost(TIMEOUT).until(() -> agent.executor.commits().size() > commitsBefore);
            RecordingExecutor.Commit converged = agent.executor.commits().get(commitsBefore);
            List<RecordingExecutor.Refusal> refusals = agent.executor.refusals();
            assertThat(refusals).hasSize(5);
            System.out.printf(Locale.ROOT, "5 transactions refused by the kernel (4 pods, %d chains, %d sets; back-off "
                            + "%s): converged %.0f ms after the first refusal%n", before.chains().size(),
                    before.sets().size(), AgentHarness.FAST.initialBackoff().toMillis() + " ms doubling",
                    (converged.committedNanos() - refusals.get(0).refusedNanos()) / 1e6);
            for (RecordingExecutor.Refusal refusal : refusals) {
                assertThat(refusal.error()).contains("No such file or directory")
                        .contains(RecordingExecutor.REFUSED_COMMAND);
                assertThat(Drift.between(TableState.readBack(refusal.tableAfter()), before,
                        agent.executor.delegate().ruleExpressions(before)).differences())
                        .as("the table right after a refused transaction: the one before it").isEmpty();
            }
            assertThat(table()).contains("10.244.1.11");
            Ruleset after = agent.reports().get(agent.reports().size() - 1).result().orElseThrow().committed();
            assertThat(new RulesetApplier(agent.executor.delegate()).verify(after).differences()).isEmpty();

            List<SyncReport> failures = agent.reports().stream().filter(r -> !r.succeeded()).toList();
            assertThat(failures).extracting(r -> r.retryIn().orElseThrow().toMillis()).containsExactly(100L, 200L,
                    400L, 800L, 1600L);
            assertThat(failures).allSatisfy(r -> assertThat(r.failingCommand())
                    .hasValue(RecordingExecutor.REFUSED_COMMAND));
            await().atMost(TIMEOUT).untilAsserted(() -> {
                NodeSyncStatus status = cluster.status(NODE).getStatus();
                assertThat(status.lastError()).isNull();
                assertThat(status.conditions().get(0).status()).isEqualTo(Condition.TRUE);
            });
            assertThat(statuses).as("a status written while the kernel refused").anySatisfy(status -> {
                assertThat(status.lastError()).isNotNull();
                assertThat(status.lastError().message()).contains("No such file or directory");
                assertThat(status.conditions().get(0).status()).isEqualTo(Condition.FALSE);
                assertThat(status.conditions().get(0).reason()).isEqualTo(StatusReporter.REASON_SYNC_FAILED);
            });
            List<Event> events = new ArrayList<>(cluster.events("dev"));
            events.addAll(cluster.events("default"));
            assertThat(events).filteredOn(e -> e.getReason().equals(EventRecorder.APPLY_FAILED)).singleElement()
                    .satisfies(e -> assertThat(e.getMessage()).contains(NODE).contains("No such file or directory"));
            assertThat(agent.get("/metrics").body()).contains("nftpolicy_sync_failures_total{trigger=\"events\"} 1.0")
                    .contains("nftpolicy_sync_failures_total{trigger=\"retry\"} 4.0");
        }
    }

    @Test
    void theRulesStayWhileTheAgentRestartsAndTheNewAgentSendsOnlyTheDifference() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        cluster.label("dev", "client", "role", "frontend");
        AgentHarness first = startAgent();
        String enforced = table();

        first.close();
        agents.remove(first);
        // Meanwhile: the table is untouched, and the cluster changes.
        assertThat(table()).isEqualTo(enforced);
        cluster.label("dev", "idle", "role", "frontend");
        Thread.sleep(200);
        assertThat(table()).isEqualTo(enforced);

        AgentHarness second = startAgent();

        SyncReport startup = second.reports().get(0);
        assertThat(startup.trigger()).isEqualTo(Trigger.STARTUP);
        assertThat(startup.result().orElseThrow().readBack()).as("the new agent reads the kernel first").isTrue();
        assertThat(startup.result().orElseThrow().operations()).as("only idle's element, and the generation")
                .isEqualTo(1 + RecordingExecutor.Commit.GENERATION_OPERATIONS);
        assertThat(second.executor.commits()).hasSize(1);
        assertThat(second.executor.commits().get(0).elementsOnly()).isTrue();
        assertThat(table()).contains("10.244.1.12").contains("10.244.1.11").contains("-dev_allow-db {");
    }

    @Test
    void aRestartWithNothingChangedIsANoOp() throws Exception {
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        AgentHarness first = startAgent();
        String enforced = table();
        first.close();
        agents.remove(first);

        AgentHarness second = startAgent();

        assertThat(second.reports().get(0).result().orElseThrow().operations()).isZero();
        assertThat(second.executor.commits()).isEmpty();
        assertThat(table()).isEqualTo(enforced);
    }
}
