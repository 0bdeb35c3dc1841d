package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code kill -9} of an apply in the middle of a large transaction: an {@link ApplyChild} JVM (the surefire
 * classpath) applies node-0 of a generated cluster and is killed by pid at a random moment of its apply, while this
 * JVM reads the table back in a loop with a libnftables context of its own (no table lock: it must see what packets
 * see). Each table read, during the apply and after the kill, must be a state that filters as one whole ruleset;
 * then a new apply converges, and its time is printed. Needs root.
 *
 * <ul>
 *   <li>A big change (the table holds cluster A, the child applies cluster B, a different seed of the same size):
 *       the table is never absent and is A, or B, or A with B's new sets and chains committed ahead and not yet
 *       referenced ({@link Transaction#splitNewObjectsFirst()}), which filters exactly as A.</li>
 *   <li>A cold start (no table, the creation split into several transactions,
 *       {@link Transaction#splitForColdStart}): the table is absent, or every set, chain and rule is complete with
 *       only dispatch-map elements missing, whole pods at a time (a pod is filtered completely or not at all, as
 *       before the agent); before the first dispatch element, nothing is filtered.</li>
 * </ul>
 * The first run of each case kills the child after its last transaction (the table is then the new one, and the
 * next apply has nothing to do), and measures how long its transactions took; the next runs kill at a random moment
 * within that span.
 * {@code -Dnftpolicy.kill.namespaces} (50: 2,500 pods) and {@code -Dnftpolicy.kill.runs} (3 per case) set the size.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class ApplyKillKernelTest {
    private static final int NAMESPACES = Integer.getInteger("nftpolicy.kill.namespaces", 50);
    private static final int RUNS = Integer.getInteger("nftpolicy.kill.runs", 3);
    private static final long SEED_A = 1;
    private static final long SEED_B = 2;

    private Ruleset a;
    private Ruleset b;

    @BeforeAll
    void compile() {
        a = ApplyChild.ruleset(NAMESPACES, SEED_A);
        b = ApplyChild.ruleset(NAMESPACES, SEED_B);
    }

    @Test
    void aBigChangeKilledLeavesTheOldTableOrTheNewOneAndTheNextApplyConverges() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-killchange");
             LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(ns.name())) {
            OldOrNew states = new OldOrNew(executor, a, b);
            new RulesetApplier(executor).apply(a);

            List<String> outcomes = new ArrayList<>();
            long window = 0;
            for (int run = 0; run < RUNS; run++) {
                Killed killed = killDuring(ns, SEED_B, window);
                window = Math.max(window, killed.transactionsNanos());
                for (Optional<KernelTable> read : killed.distinctReads()) {
                    assertThat(states.which(read)).as("run %d: the table while the apply ran or after the kill is "
                            + "neither A, B, nor A with B's new objects ahead: %s", run,
                            states.differences(read)).isPresent();
                }
                String after = states.which(killed.last()).orElseThrow();
                if (killed.afterLastTransaction()) {
                    assertThat(after).as("killed after it applied").isEqualTo(OldOrNew.NEW);
                }
                long recovery = recover(executor, b);
                outcomes.add(killed.describe() + " -> " + after + " table, recovery "
                        + String.format(Locale.ROOT, "%.0f ms", recovery / 1e6));
                new RulesetApplier(executor).apply(a);
            }
            print("big change A -> B", outcomes);
        }
    }

    @Test
    void aColdStartKilledLeavesNoPodPartiallyFilteredAndTheNextApplyCompletesIt() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-killcold");
             LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(ns.name())) {
            Map<String, String> expressionsOfB = executor.ruleExpressions(b);
            List<String> outcomes = new ArrayList<>();
            long window = 0;
            for (int run = 0; run < RUNS; run++) {
                Killed killed = killDuring(ns, SEED_B, window);
                window = Math.max(window, killed.transactionsNanos());
                for (Optional<KernelTable> read : killed.distinctReads()) {
                    assertNoPodPartiallyFiltered(expressionsOfB, read, run);
                }
                Optional<KernelTable> last = killed.last();
                String after = last.isEmpty() ? "no table"
                        : last.get().chains().stream().noneMatch(c -> c.hook().isPresent())
                        ? "a table without base chains, " + dispatchElements(last.get()) + " of " + dispatchElements(b)
                        + " dispatch elements" : "the whole table";
                if (killed.afterLastTransaction()) {
                    assertThat(after).as("killed after it applied").isEqualTo("the whole table");
                }
                long recovery = recover(executor, b);
                outcomes.add(killed.describe() + " -> " + after + ", recovery "
                        + String.format(Locale.ROOT, "%.0f ms", recovery / 1e6));
                ns.load("delete table inet nftpolicy\n");
            }
            print("cold start of B", outcomes);
        }
    }

    /**
     * No base chain (no hook: nothing filtered, as before any apply), or the whole of B. While the creation is in
     * progress, its parts build everything else first; the base chains come last, in one transaction.
     */
    private void assertNoPodPartiallyFiltered(Map<String, String> expressionsOfB, Optional<KernelTable> read, int run) {
        if (read.isEmpty() || read.get().chains().stream().noneMatch(c -> c.hook().isPresent())) {
            return;
        }
        assertThat(Drift.between(TableState.readBack(read), b, expressionsOfB).differences())
                .as("run %d: a table with its hooks registered, against B", run).isEmpty();
    }

    private static int dispatchElements(KernelTable table) {
        return table.maps().stream().mapToInt(m -> m.elements().size()).sum();
    }

    private static int dispatchElements(Ruleset ruleset) {
        return ruleset.maps().stream().mapToInt(m -> m.elements().size()).sum();
    }

    /** The apply that follows a kill, as the restarted process's: a fresh applier; then the table verifies clean. */
    private static long recover(LibnftablesExecutor executor, Ruleset ruleset) throws ApplyException {
        long start = System.nanoTime();
        new RulesetApplier(executor).apply(ruleset);
        long took = System.nanoTime() - start;
        assertThat(new RulesetApplier(executor).verify(ruleset).differences()).as("after the next apply").isEmpty();
        return took;
    }

    /** The table read while the child ran and after the kill (the last read), and when the kill came. */
    private record Killed(long startNanos, long delayNanos, long transactionsNanos,
                          List<Optional<KernelTable>> reads) {
        boolean afterLastTransaction() {
            return transactionsNanos > 0;
        }

        /** Each table seen once: most reads repeat the one before. */
        List<Optional<KernelTable>> distinctReads() {
            return List.copyOf(new LinkedHashSet<>(reads));
        }

        Optional<KernelTable> last() {
            return reads.get(reads.size() - 1);
        }

        String describe() {
            return String.format(Locale.ROOT, "child started and compiled in %.0f ms, killed %.0f ms after its first "
                    + "transaction was sent%s (%d reads, %d distinct)", startNanos / 1e6, delayNanos / 1e6, afterLastTransaction() ? ", after the last one" : "",
                    reads.size(), distinctReads().size());
        }
    }

    /** Reads the child's lines past its transactions; the child must have applied. */
    private static String untilApplied(BufferedReader out) throws Exception {
        String line;
        do {
            line = out.readLine();
        } while (line != null && line.startsWith("transaction"));
        assertThat(line).as("the child's apply").isNotNull().startsWith("applied");
        return line;
    }

    /**
     * Starts a child and kills it (SIGKILL) a random time into [0, window) after it sends its first transaction; with
     * no window yet (0), once it has applied its last one, which measures the window: the time from its first
     * "transaction" line to "applied". The table is read in a loop from the child's "applying" on (before it, the
     * child only compiles).
     */
    private Killed killDuring(NetworkNamespace ns, long seed, long window) throws Exception {
        long started = System.nanoTime();
        Process child = child(ns, seed);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("applying");
            long compiled = System.nanoTime() - started;
            try (TablePoller poller = new TablePoller(ns.name())) {
                assertThat(out.readLine()).isEqualTo("transaction 1");
                long start = System.nanoTime();
                long transactions = 0;
                if (window == 0) {
                    String applied = untilApplied(out);
                    transactions = System.nanoTime() - start;
                    System.out.printf(Locale.ROOT, "apply in a child JVM, %d pods: %s; %.0f ms from the first "
                            + "transaction sent to the last one's return%n", NAMESPACES * 50, applied,
                            transactions / 1e6);
                } else {
                    long delay = ThreadLocalRandom.current().nextLong(Math.max(1, window));
                    while (System.nanoTime() - start < delay) {
                        Thread.onSpinWait();
                    }
                }
                long delay = System.nanoTime() - start;
                child.destroyForcibly(); // SIGKILL, by pid
                assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
                return new Killed(compiled, delay, transactions, poller.stop());
            }
        } finally {
            child.destroyForcibly();
        }
    }

    private Process child(NetworkNamespace ns, long seed) throws Exception {
        return new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), ApplyChild.class.getName(), ns.name(),
                Integer.toString(NAMESPACES), Long.toString(seed)).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private void print(String what, List<String> outcomes) {
        System.out.printf(Locale.ROOT, "kill -9 during the %s, %d pods (node-0 of B: %d sets, %d elements, %d chains, "
                + "%d dispatch elements):%n", what, NAMESPACES * 50, b.sets().size(),
                b.sets().stream().mapToInt(s -> s.elements().size()).sum(), b.chains().size(), dispatchElements(b));
        outcomes.forEach(o -> System.out.println("  " + o));
    }
}
