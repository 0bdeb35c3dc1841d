package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.libnftables.TestNamespace;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
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
 * {@code -Dnftpolicy.kill.namespaces} (50: 2,500 pods) and {@code -Dnftpolicy.kill.runs} (5 per case) set the size.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ApplyKillKernelTest {
    private static final int NAMESPACES = Integer.getInteger("nftpolicy.kill.namespaces", 50);
    private static final int RUNS = Integer.getInteger("nftpolicy.kill.runs", 5);
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
        try (TestNamespace ns = TestNamespace.create("killchange");
             LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(ns.name())) {
            Ruleset aWithNewObjectsOfB = withNewObjects(a, b);
            Map<String, Map<String, String>> expressions = Map.of("a", executor.ruleExpressions(a),
                    "b", executor.ruleExpressions(b), "a+", executor.ruleExpressions(aWithNewObjectsOfB));
            new RulesetApplier(executor).apply(a);
            long window = calibrate(ns, SEED_B);
            new RulesetApplier(executor).apply(a);

            List<String> outcomes = new ArrayList<>();
            for (int run = 0; run < RUNS; run++) {
                Killed killed = killDuring(ns, SEED_B, window);
                for (Optional<KernelTable> read : killed.reads()) {
                    assertThat(read).as("run %d: the table while the apply ran or after the kill", run).isPresent();
                    TableState state = TableState.readBack(read);
                    String which = Drift.between(state, a, expressions.get("a")).isEmpty() ? "a"
                            : Drift.between(state, b, expressions.get("b")).isEmpty() ? "b"
                            : Drift.between(state, aWithNewObjectsOfB, expressions.get("a+")).isEmpty() ? "a+"
                            : null;
                    assertThat(which).as("run %d: a table that is neither A, B, nor A with B's new objects ahead: %s",
                            run, Drift.between(state, b, expressions.get("b")).differences().stream().limit(5)
                                    .toList()).isNotNull();
                }
                TableState last = TableState.readBack(killed.reads().get(killed.reads().size() - 1));
                String after = Drift.between(last, a, expressions.get("a")).isEmpty() ? "old"
                        : Drift.between(last, b, expressions.get("b")).isEmpty() ? "new" : "old+new objects";
                long recovery = recover(executor, b);
                outcomes.add(String.format(Locale.ROOT, "kill %.0f ms after the first transaction was sent -> %s table (%d reads), recovery %.0f ms",
                        killed.delayNanos() / 1e6, after, killed.reads().size(), recovery / 1e6));
                new RulesetApplier(executor).apply(a);
            }
            print("big change A -> B", outcomes);
        }
    }

    @Test
    void aColdStartKilledLeavesNoPodPartiallyFilteredAndTheNextApplyCompletesIt() throws Exception {
        try (TestNamespace ns = TestNamespace.create("killcold");
             LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(ns.name())) {
            long window = calibrate(ns, SEED_B);
            ns.load("delete table inet nftpolicy\n");

            List<String> outcomes = new ArrayList<>();
            for (int run = 0; run < RUNS; run++) {
                Killed killed = killDuring(ns, SEED_B, window);
                for (Optional<KernelTable> read : killed.reads()) {
                    assertNoPodPartiallyFiltered(executor, read, run);
                }
                Optional<KernelTable> last = killed.reads().get(killed.reads().size() - 1);
                String after = last.isEmpty() ? "no table"
                        : last.get().chains().stream().noneMatch(c -> c.hook().isPresent())
                        ? "a table without base chains, " + dispatchElements(last.get()) + " of " + dispatchElements(b)
                        + " dispatch elements" : "the whole table";
                long recovery = recover(executor, b);
                outcomes.add(String.format(Locale.ROOT, "kill %.0f ms after the first transaction was sent -> %s (%d reads), recovery %.0f ms",
                        killed.delayNanos() / 1e6, after, killed.reads().size(), recovery / 1e6));
                ns.load("delete table inet nftpolicy\n");
            }
            print("cold start of B", outcomes);
        }
    }

    /**
     * No base chain (no hook: nothing filtered, as before any apply), or the whole of B. While the creation is in
     * progress, its parts build everything else first; the base chains come last, in one transaction.
     */
    private void assertNoPodPartiallyFiltered(LibnftablesExecutor executor, Optional<KernelTable> read, int run) {
        if (read.isEmpty() || read.get().chains().stream().noneMatch(c -> c.hook().isPresent())) {
            return;
        }
        assertThat(Drift.between(TableState.readBack(read), b, executor.ruleExpressions(b)).differences())
                .as("run %d: a table with its hooks registered, against B", run).isEmpty();
    }

    /** A with B's sets and regular chains that A lacks: what the first of the two transactions of A -> B leaves. */
    private static Ruleset withNewObjects(Ruleset a, Ruleset b) {
        Set<String> sets = a.sets().stream().map(NamedSet::name).collect(Collectors.toCollection(HashSet::new));
        Set<String> chains = a.chains().stream().map(Chain::name).collect(Collectors.toCollection(HashSet::new));
        List<NamedSet> allSets = new ArrayList<>(a.sets());
        b.sets().stream().filter(s -> !sets.contains(s.name())).forEach(allSets::add);
        List<Chain> allChains = new ArrayList<>(a.chains());
        b.chains().stream().filter(c -> c.hook().isEmpty() && !chains.contains(c.name())).forEach(allChains::add);
        return new Ruleset(a.family(), a.table(), a.comment(), allSets, a.maps(), allChains);
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

    private record Killed(long delayNanos, List<Optional<KernelTable>> reads) {}

    /**
     * One un-killed child: how long its transactions take, from its first "transaction" line to "applied" (the
     * window the kills are spread over).
     */
    private long calibrate(TestNamespace ns, long seed) throws Exception {
        Process child = child(ns, seed);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8))) {
            assertThat(out.readLine()).isEqualTo("applying");
            assertThat(out.readLine()).isEqualTo("transaction 1");
            long start = System.nanoTime();
            String line;
            do {
                line = out.readLine();
            } while (line != null && line.startsWith("transaction"));
            long window = System.nanoTime() - start;
            assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(line).as("the child's apply (exit %d)", child.exitValue()).startsWith("applied");
            System.out.printf(Locale.ROOT, "apply in a child JVM, %d pods: %s; %.0f ms from the first transaction "
                    + "sent to the last one's return%n", NAMESPACES * 50, line, window / 1e6);
            return window;
        } finally {
            child.destroyForcibly();
        }
    }

    /** Starts a child, kills it (SIGKILL) a random time into [0, 1.2 window] after it sends its first transaction. */
    private Killed killDuring(TestNamespace ns, long seed, long window) throws Exception {
        Process child = child(ns, seed);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                StandardCharsets.UTF_8));
             Poller poller = new Poller(ns.name())) {
            assertThat(out.readLine()).isEqualTo("applying");
            assertThat(out.readLine()).isEqualTo("transaction 1");
            long delay = ThreadLocalRandom.current().nextLong(Math.max(1, window * 6 / 5));
            long start = System.nanoTime();
            while (System.nanoTime() - start < delay) {
                Thread.onSpinWait();
            }
            child.destroyForcibly(); // SIGKILL, by pid
            assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
            List<Optional<KernelTable>> reads = poller.stop();
            return new Killed(delay, reads);
        } finally {
            child.destroyForcibly();
        }
    }

    private Process child(TestNamespace ns, long seed) throws Exception {
        return new ProcessBuilder(ProcessHandle.current().info().command().orElse("java"), "-cp",
                System.getProperty("java.class.path"), ApplyChild.class.getName(), ns.name(),
                Integer.toString(NAMESPACES), Long.toString(seed)).redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    /** Reads the table back in a loop on a thread (and libnftables context) of its own, then once more at the end. */
    private static final class Poller implements AutoCloseable {
        private final List<Optional<KernelTable>> reads = new ArrayList<>();
        private final Thread thread;
        private volatile boolean stopping;
        private volatile Exception failure;

        Poller(String netns) {
            thread = new Thread(() -> {
                try (LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(netns)) {
                    do {
                        Optional<KernelTable> read = executor.readBack();
                        synchronized (reads) {
                            reads.add(read);
                        }
                    } while (!stopping);
                    Optional<KernelTable> last = executor.readBack(); // after the kill: what stays
                    synchronized (reads) {
                        reads.add(last);
                    }
                } catch (Exception e) {
                    failure = e;
                }
            }, "table-poller");
            thread.start();
        }

        List<Optional<KernelTable>> stop() throws Exception {
            close();
            if (failure != null) {
                throw failure;
            }
            synchronized (reads) {
                return List.copyOf(reads);
            }
        }

        @Override
        public void close() throws InterruptedException {
            stopping = true;
            thread.join(60_000);
        }
    }

    private void print(String what, List<String> outcomes) {
        System.out.printf(Locale.ROOT, "kill -9 during the %s, %d pods (node-0 of B: %d sets, %d elements, %d chains, "
                + "%d dispatch elements):%n", what, NAMESPACES * 50, b.sets().size(),
                b.sets().stream().mapToInt(s -> s.elements().size()).sum(), b.chains().size(), dispatchElements(b));
        outcomes.forEach(o -> System.out.println("  " + o));
    }
}
