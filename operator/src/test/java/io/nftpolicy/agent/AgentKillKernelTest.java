package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.agent.sync.Trigger;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.ApplyChild;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.OldOrNew;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.TablePoller;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code kill -9} of the agent in the middle of a large transaction. The kernel's table holds node-0's ruleset of
 * cluster A (as a previous agent left it); the mock API server holds cluster B, a different seed of the same size,
 * so the first sync of an {@link AgentChild} JVM (the surefire classpath) is a big change. The child is killed by
 * pid (SIGKILL), while this JVM reads the table back in a loop ({@link TablePoller}, no table lock): every read, and
 * the table after the kill, must be A, or B, or A with B's new objects ahead ({@link OldOrNew}). Then a new agent
 * (in this JVM) starts on the same table and cluster: it must be ready with {@code verify} clean; the time from its
 * start to ready is printed. The first run kills the child after its last transaction and measures how long its
 * transactions took; the next runs kill at a random moment within that span. Needs root.
 *
 * <p>{@code -Dnftpolicy.agentkill.namespaces} (50: 2,500 pods) and {@code -Dnftpolicy.agentkill.runs} (3) set the
 * size.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class AgentKillKernelTest {
    private static final int NAMESPACES = Integer.getInteger("nftpolicy.agentkill.namespaces", 50);
    private static final int RUNS = Integer.getInteger("nftpolicy.agentkill.runs", 3);
    private static final long SEED_A = 1;
    private static final long SEED_B = 2;
    private static final String NODE = ClusterGenerator.nodeName(0);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(120);

    private MockCluster cluster;
    private Ruleset a;

    @BeforeAll
    void loadClusterB() {
        cluster = new MockCluster();
        long start = System.nanoTime();
        cluster.load(ClusterGenerator.generate(new ClusterGenerator.Size(NAMESPACES, 50, 20, 10, SEED_B)));
        System.out.printf(Locale.ROOT, "%d pods loaded into the mock API server in %.1f s%n", NAMESPACES * 50,
                (System.nanoTime() - start) / 1e9);
        a = ApplyChild.ruleset(NAMESPACES, SEED_A);
    }

    @AfterAll
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void anAgentKilledInABigChangeLeavesTheOldTableOrTheNewOneAndANewAgentConverges() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-agentkill");
             LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(ns.name())) {
            new RulesetApplier(executor).apply(a);

            List<String> outcomes = new ArrayList<>();
            OldOrNew states = null;
            Ruleset b = null;
            long window = 0;
            for (int run = 0; run < RUNS; run++) {
                Killed killed = killDuring(ns, window);
                window = Math.max(window, killed.transactionsNanos());
                Recovered recovered = recover(ns);
                if (states == null) {
                    b = recovered.committed();
                    states = new OldOrNew(executor, a, b);
                }
                for (Optional<KernelTable> read : new LinkedHashSet<>(killed.reads())) {
                    assertThat(states.which(read)).as("run %d: the table while the agent ran or after the kill is "
                            + "neither A, B, nor A with B's new objects ahead: %s", run, states.differences(read))
                            .isPresent();
                }
                String after = states.which(killed.reads().get(killed.reads().size() - 1)).orElseThrow();
                if (killed.transactionsNanos() > 0) {
                    assertThat(after).as("killed after its first sync").isEqualTo(OldOrNew.NEW);
                }
                outcomes.add(String.format(Locale.ROOT, "killed %.0f ms after its first transaction was sent%s "
                                + "(%d reads) -> %s table; the new agent ready %.0f ms after its start (its first "
                                + "sync: %d operations, apply %.0f ms)", killed.delayNanos() / 1e6,
                        killed.transactionsNanos() > 0 ? ", after the last one" : "", killed.reads().size(), after,
                        recovered.readyNanos() / 1e6, recovered.result().operations(),
                        recovered.result().durationNanos() / 1e6));
                new RulesetApplier(executor).apply(a);
            }
            System.out.printf(Locale.ROOT, "kill -9 of the agent during its first sync, A -> B, %d pods (node-0 of B: "
                    + "%d sets, %d elements, %d chains):%n", NAMESPACES * 50, b.sets().size(),
                    b.sets().stream().mapToInt(s -> s.elements().size()).sum(), b.chains().size());
            outcomes.forEach(o -> System.out.println("  " + o));
        }
    }

    /** The agent that follows a kill, as the restarted pod's: ready, its table verified against its own ruleset. */
    private Recovered recover(NetworkNamespace ns) throws Exception {
        try (LibnftablesExecutor kernel = LibnftablesExecutor.openInNamespace(ns.name());
             LibnftablesExecutor driftReader = LibnftablesExecutor.openInNamespace(ns.name());
             AgentHarness agent = AgentHarness.create(cluster, new RecordingExecutor(kernel), driftReader,
                     AgentHarness.config(NODE))) {
            long start = System.nanoTime();
            agent.agent.start();
            await().atMost(READY_TIMEOUT).pollInterval(Duration.ofMillis(10)).until(agent.agent::ready);
            long ready = System.nanoTime() - start;
            SyncReport first = agent.reports().get(0);
            assertThat(first.trigger()).isEqualTo(Trigger.STARTUP);
            assertThat(first.succeeded()).as("the new agent's first sync: %s", first.error()).isTrue();
            ApplyResult result = first.result().orElseThrow();
            assertThat(result.readBack()).as("the new agent reads the kernel first").isTrue();
            Ruleset committed = agent.reports().get(agent.reports().size() - 1).result().orElseThrow().committed();
            assertThat(new RulesetApplier(kernel).verify(committed).differences()).as("after the new agent's sync")
                    .isEmpty();
            return new Recovered(ready, result, committed);
        }
    }

    private record Recovered(long readyNanos, ApplyResult result, Ruleset committed) {}

    /** The table read while the child ran and after the kill (the last read), and when the kill came. */
    private record Killed(long delayNanos, long transactionsNanos, List<Optional<KernelTable>> reads) {}

    /**
     * Starts a child agent and kills it (SIGKILL) a random time into [0, window) after it sends its first
     * transaction; with no window yet (0), once its first sync is done, which measures the window: from its first
     * "transaction" line to "synced". The table is read in a loop from the child's "started" on (it has listed the
     * cluster; its first sync follows).
     */
    private Killed killDuring(NetworkNamespace ns, long window) throws Exception {
        Process child = new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), AgentChild.class.getName(), ns.name(),
                cluster.uri().toString(), NODE).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line = out.readLine();
            assertThat(line).as("the child's first line").isIn("started", "transaction 1");
            try (TablePoller poller = new TablePoller(ns.name())) {
                if (line.equals("started")) {
                    assertThat(out.readLine()).isEqualTo("transaction 1");
                }
                long start = System.nanoTime();
                long transactions = 0;
                if (window == 0) {
                    do {
                        line = out.readLine();
                    } while (line != null && line.startsWith("transaction"));
                    transactions = System.nanoTime() - start;
                    assertThat(line).as("the child's first sync").isNotNull().startsWith("synced");
                    System.out.printf(Locale.ROOT, "the agent in a child JVM, %d pods, first sync: %s; %.0f ms from "
                            + "the first transaction sent to the last one's return%n", NAMESPACES * 50, line,
                            transactions / 1e6);
                } else {
                    long delay = ThreadLocalRandom.current().nextLong(window);
                    while (System.nanoTime() - start < delay) {
                        Thread.onSpinWait();
                    }
                }
                long delay = System.nanoTime() - start;
                child.destroyForcibly(); // SIGKILL, by pid
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
                return new Killed(delay, transactions, poller.stop());
            }
        } finally {
            child.destroyForcibly();
        }
    }
}
