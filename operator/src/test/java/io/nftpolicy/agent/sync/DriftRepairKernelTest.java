package io.nftpolicy.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nftpolicy.agent.cache.CacheSnapshot;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The sync loop with its stepped drift thread on a real table (worker and drift thread on libnftables contexts of
 * their own, in a fresh network namespace): a change made by someone else is found and repaired within the drift
 * interval, and the table then equals the model again. A deleted table and an edited rule are measured at 1 s and at
 * the default interval (10 s). Needs root; skipped otherwise.
 */
@KernelTest
class DriftRepairKernelTest {
    private static final String NODE = ClusterGenerator.nodeName(0);
    private static final Duration ONE_SECOND = Duration.ofSeconds(1);

    private final List<SyncReport> reports = new ArrayList<>();
    private NetworkNamespace netns;
    private LibnftablesExecutor worker;
    private LibnftablesExecutor driftReader;
    private SyncLoop loop;
    private Ruleset ruleset;
    private Duration interval;
    private java.util.concurrent.ExecutorService steps;

    private void wake() {
        steps.execute(() -> {
            try {
                loop.step(false);
            } catch (SyncFailedException e) {
                steps.execute(() -> loop.step(true));
            }
        });
    }

    /** The drift interval of the tests that measure it: 1 s, and the default. */
    static Stream<Duration> intervals() {
        return Stream.of(ONE_SECOND, SyncLoop.Options.defaults().driftInterval());
    }

    /** Starts the sync loop with drift checks every {@code interval}, and waits for its first sync. */
    private void start(Duration interval) throws Exception {
        this.interval = interval;
        netns = NetworkNamespace.create("nftt-drift");
        worker = LibnftablesExecutor.openInNamespace(netns.name());
        driftReader = LibnftablesExecutor.openInNamespace(netns.name());
        CacheSnapshot snapshot = new CacheSnapshot(
                ClusterGenerator.generate(new ClusterGenerator.Size(3, 6, 2, 3, 7L)), List.of(), Map.of());
        loop = new SyncLoop(NODE, () -> snapshot, new IncrementalCompiler(NODE)::compile, new RulesetApplier(worker),
                driftReader, SyncLoop.Options.defaults().withDriftInterval(interval), java.time.Clock.systemUTC());
        loop.addObserver(new SyncObserver() {
            @Override
            public void synced(SyncReport report) {
                synchronized (reports) {
                    reports.add(report);
                }
            }
        });
        // As the controller drives it: one step at a time, on one thread, when woken.
        steps = java.util.concurrent.Executors.newSingleThreadExecutor();
        loop.start(this::wake);
        wake();
        await().atMost(Duration.ofSeconds(10)).until(loop::hasSynced);
        ruleset = repairs().isEmpty() ? reports().get(0).ruleset().orElseThrow() : null;
    }

    @AfterEach
    void stop() throws Exception {
        if (loop != null) {
            assertThat(loop.stop(Duration.ofSeconds(10))).isTrue();
            steps.shutdown();
            assertThat(steps.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        }
        if (worker != null) {
            worker.close();
            driftReader.close();
        }
        if (netns != null) {
            netns.close();
        }
    }

    @Test
    void aDeletedElementIsRepaired() throws Exception {
        start(ONE_SECOND);
        NamedSet set = ruleset.sets().stream().filter(s -> !s.elements().isEmpty()).findFirst().orElseThrow();
        assertRepairedAfter("delete element inet nftpolicy " + set.name() + " { "
                + set.elements().get(0).keyToNft() + " }");
    }

    @Test
    void aFlushedChainIsRepaired() throws Exception {
        start(ONE_SECOND);
        Chain chain = ruleset.chains().stream().filter(c -> !c.rules().isEmpty()).findFirst().orElseThrow();
        assertRepairedAfter("flush chain inet nftpolicy " + chain.name());
    }

    @Test
    void aDeletedSetIsRepaired() throws Exception {
        start(ONE_SECOND);
        // a set whose users are all in one chain: flushing that chain lets it be deleted
        for (NamedSet set : ruleset.sets()) {
            List<Chain> users = ruleset.chains().stream().filter(c -> c.rules().stream()
                    .anyMatch(r -> NftRenderer.renderRule(r).contains("@" + set.name() + " "))).toList();
            if (users.size() <= 1) {
                assertRepairedAfter((users.isEmpty() ? "" : "flush chain inet nftpolicy " + users.get(0).name() + "\n")
                        + "delete set inet nftpolicy " + set.name());
                return;
            }
        }
        throw new AssertionError("no set used by one chain at most");
    }

    @Test
    void aChainAddedBySomeoneElseIsRemoved() throws Exception {
        start(ONE_SECOND);
        assertRepairedAfter("add chain inet nftpolicy someone-elses");
        assertThat(netns.nft("list", "table", "inet", "nftpolicy")).doesNotContain("someone-elses");
    }

    @ParameterizedTest(name = "drift interval {0}")
    @MethodSource("intervals")
    void aDeletedTableIsRecreated(Duration interval) throws Exception {
        start(interval);
        assertRepairedAfter("delete table inet nftpolicy");
    }

    @ParameterizedTest(name = "drift interval {0}")
    @MethodSource("intervals")
    void aRuleEditedInItsMatchIsRepaired(Duration interval) throws Exception {
        start(interval);
        // a rule that accepts from a peer set, edited to accept from everyone else, its comment kept
        Chain chain = ruleset.chains().stream().filter(c -> c.hook().isEmpty() && c.rules().stream()
                .anyMatch(r -> r.statement().startsWith("ip saddr @"))).findFirst().orElseThrow();
        int index = 0;
        while (!chain.rules().get(index).statement().startsWith("ip saddr @")) {
            index++;
        }
        io.nftpolicy.ruleset.Rule rule = chain.rules().get(index);
        java.util.regex.Matcher handle = java.util.regex.Pattern.compile("(?m)^\\s*(.* comment \".*\") # handle (\\d+)$")
                .matcher(netns.nft("-a", "list", "chain", "inet", "nftpolicy", chain.name()));
        for (int i = 0; i <= index; i++) {
            assertThat(handle.find()).isTrue();
        }
        assertRepairedAfter("replace rule inet nftpolicy " + chain.name() + " handle " + handle.group(2) + " "
                + NftRenderer.renderRule(new io.nftpolicy.ruleset.Rule(rule.statement().replaceFirst("^ip saddr @",
                "ip saddr != @"), rule.comment(), rule.sources())));
    }

    private void assertRepairedAfter(String script) throws Exception {
        assertThat(ruleset).as("no drift before the change").isNotNull();
        // at a random moment of the drift cycle: right after the first sync, every change would be found just
        // before the first check, an interval after the start
        long phase = java.util.concurrent.ThreadLocalRandom.current().nextLong(interval.toMillis());
        Thread.sleep(phase);
        netns.load(script + "\n");
        long changed = System.nanoTime();

        await().atMost(interval.multipliedBy(3)).pollInterval(Duration.ofMillis(10)).until(() -> !repairs().isEmpty());
        long repaired = System.nanoTime() - changed;
        SyncReport repair = repairs().get(0);
        System.out.printf("drift repaired %.0f ms after %s, made %d ms after the first sync (the repair's sync: "
                + "%.0f ms; drift interval %d ms, %d chains, %d sets)%n", repaired / 1e6,
                script.lines().reduce((x, y) -> y).orElse(""), phase, repair.durationNanos() / 1e6,
                interval.toMillis(), ruleset.chains().size(), ruleset.sets().size());

        assertThat(repair.error()).isEmpty();
        assertThat(repair.result().orElseThrow().operations()).isPositive();
        // an object is read once per interval: found at most an interval later, plus the repair and await's polling
        assertThat(repaired).as("repaired within the interval").isLessThan(interval.multipliedBy(3).dividedBy(2)
                .toNanos());
        try (LibnftablesExecutor check = LibnftablesExecutor.openInNamespace(netns.name())) {
            assertThat(new RulesetApplier(check).verify(ruleset).differences()).isEmpty();
        }
    }

    private List<SyncReport> reports() {
        synchronized (reports) {
            return List.copyOf(reports);
        }
    }

    private List<SyncReport> repairs() {
        return reports().stream().filter(r -> r.trigger() == Trigger.DRIFT).toList();
    }
}
