package io.nftpolicy.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nftpolicy.agent.cache.CacheSnapshot;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.backend.sync.Transaction;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The sync loop alone, on a generated cluster and the in-memory kernel: timing, back-off, health, stop. */
class SyncLoopTest {
    private static final ClusterSnapshot CLUSTER = ClusterGenerator.generate(new ClusterGenerator.Size(3, 6, 2, 3, 7L));
    /** Another cluster (another seed): switching to it makes the next sync a real transaction. */
    private static final ClusterSnapshot OTHER = ClusterGenerator.generate(new ClusterGenerator.Size(3, 6, 2, 3, 8L));
    private static final String NODE = ClusterGenerator.nodeName(0);
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final List<SyncReport> reports = new ArrayList<>();
    private final AtomicInteger driftChecks = new AtomicInteger();
    private final AtomicInteger snapshots = new AtomicInteger();
    private final AtomicLong lastSnapshotNanos = new AtomicLong();
    private final java.util.concurrent.atomic.AtomicReference<ClusterSnapshot> cluster =
            new java.util.concurrent.atomic.AtomicReference<>(CLUSTER);
    private SyncLoop loop;

    @AfterEach
    void stop() throws InterruptedException {
        if (loop != null) {
            assertThat(loop.stop(Duration.ofSeconds(10))).isTrue();
        }
    }

    private SyncLoop loop(NftExecutor executor, SyncLoop.Options options) {
        return loop(executor, null, options);
    }

    /** With drift checks on their own thread through {@code driftReader}; null: on the worker. */
    private SyncLoop loop(NftExecutor executor, NftExecutor driftReader, SyncLoop.Options options) {
        loop = new SyncLoop(NODE, () -> {
            snapshots.incrementAndGet();
            lastSnapshotNanos.set(System.nanoTime());
            return new CacheSnapshot(cluster.get(), List.of(), Map.of());
        }, new IncrementalCompiler(NODE)::compile, new RulesetApplier(executor),
                driftReader, options, java.time.Clock.systemUTC());
        loop.addObserver(new SyncObserver() {
            @Override
            public void synced(SyncReport report) {
                synchronized (reports) {
                    reports.add(report);
                }
            }

            @Override
            public void driftChecked(io.nftpolicy.backend.sync.Drift drift, long durationNanos) {
                driftChecks.incrementAndGet();
            }
        });
        return loop;
    }

    private List<SyncReport> reports() {
        synchronized (reports) {
            return List.copyOf(reports);
        }
    }

    @Test
    void theFirstSyncIsTheStartupSyncAndMakesItReady() {
        loop(new FakeNft(), SyncLoop.Options.defaults());
        assertThat(loop.hasSynced()).isFalse();

        loop.start();

        await().atMost(TIMEOUT).until(loop::hasSynced);
        SyncReport first = reports().get(0);
        assertThat(first.trigger()).isEqualTo(Trigger.STARTUP);
        assertThat(first.succeeded()).isTrue();
        assertThat(first.eventToKernelNanos()).as("the startup sync is not an event's latency").isEmpty();
        assertThat(first.policies()).isEqualTo(CLUSTER.policies().size());
        assertThat(first.localPods()).isPositive();
        assertThat(loop.healthy()).isTrue();
    }

    @Test
    void changesInsideOneWindowMakeOneSyncThatStartsAfterTheWindow() {
        loop(new FakeNft(), SyncLoop.Options.defaults().withCoalesce(Duration.ofMillis(200)));
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);
        int before = snapshots.get();

        long first = System.nanoTime();
        for (int i = 0; i < 50; i++) {
            loop.changed(System.nanoTime());
        }

        await().atMost(TIMEOUT).until(() -> reports().size() == 2);
        await().during(Duration.ofMillis(400)).atMost(TIMEOUT).until(() -> reports().size() == 2);
        assertThat(snapshots.get() - before).isEqualTo(1);
        assertThat(lastSnapshotNanos.get() - first).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
        SyncReport sync = reports().get(1);
        assertThat(sync.trigger()).isEqualTo(Trigger.EVENTS);
        assertThat(sync.eventToKernelNanos().orElseThrow()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
    }

    @Test
    void theLatencyCountsFromTheOldestChange() {
        loop(new FakeNft(), SyncLoop.Options.defaults());
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);

        loop.changed(System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(500));
        loop.changed(System.nanoTime());

        await().atMost(TIMEOUT).until(() -> reports().size() == 2);
        assertThat(reports().get(1).eventToKernelNanos().orElseThrow())
                .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(500));
    }

    @Test
    void failuresBackOffDoublingUpToTheMaximumAndTheNextSuccessEndsThem() {
        FailingExecutor kernel = new FailingExecutor(new FakeNft(), 5);
        loop(kernel, SyncLoop.Options.defaults().withBackoff(Duration.ofMillis(50), Duration.ofMillis(200)));

        loop.start();

        await().atMost(TIMEOUT).until(loop::hasSynced);
        List<SyncReport> all = reports();
        assertThat(all).hasSize(6);
        assertThat(all.subList(0, 5)).allMatch(r -> !r.succeeded());
        assertThat(all.subList(0, 5)).extracting(r -> r.retryIn().orElseThrow().toMillis())
                .containsExactly(50L, 100L, 200L, 200L, 200L);
        assertThat(all.get(0).trigger()).isEqualTo(Trigger.STARTUP);
        assertThat(all.subList(1, 6)).allMatch(r -> r.trigger() == Trigger.RETRY);
        assertThat(all.get(0).error().orElseThrow()).contains("Cannot allocate memory");
        assertThat(all.get(5).succeeded()).isTrue();
        assertThat(all.get(5).consecutiveFailures()).isZero();
        // Spacing: at least the sum of the back-offs.
        long span = Duration.between(all.get(0).finishedAt(), all.get(5).finishedAt()).toMillis();
        assertThat(span).isGreaterThanOrEqualTo(50 + 100 + 200 + 200 + 200 - 20);
    }

    @Test
    void aChangeDuringBackOffWaitsForTheRetryWhichCarriesIt() {
        FailingExecutor kernel = new FailingExecutor(new FakeNft(), 0);
        loop(kernel, SyncLoop.Options.defaults().withBackoff(Duration.ofMillis(300), Duration.ofSeconds(1)));
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);
        kernel.failNext(1);
        cluster.set(OTHER);

        loop.changed(System.nanoTime());
        await().atMost(TIMEOUT).until(() -> reports().size() == 2);
        loop.changed(System.nanoTime());

        await().atMost(TIMEOUT).until(() -> reports().size() == 3);
        SyncReport retry = reports().get(2);
        assertThat(retry.trigger()).isEqualTo(Trigger.RETRY);
        assertThat(retry.succeeded()).isTrue();
        assertThat(retry.eventToKernelNanos().orElseThrow()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
    }

    @Test
    void aStepThatNeverEndsMakesTheLoopUnhealthyUntilItReturns() throws Exception {
        BlockingExecutor kernel = new BlockingExecutor(new FakeNft());
        loop(kernel, SyncLoop.Options.defaults().withStuckAfter(Duration.ofMillis(200)));
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);
        kernel.block();
        cluster.set(OTHER);

        loop.changed(System.nanoTime());

        await().atMost(TIMEOUT).until(kernel::blocked);
        await().atMost(TIMEOUT).until(() -> !loop.healthy());
        kernel.release();
        await().atMost(TIMEOUT).until(loop::healthy);
    }

    @Test
    void driftIsCheckedEveryIntervalEvenUnderSteadyChanges() throws Exception {
        loop(new FakeNft(), SyncLoop.Options.defaults().withDriftInterval(Duration.ofMillis(300)));
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);

        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(1500);
        for (int i = 0; System.nanoTime() < end; i++) {
            cluster.set(i % 2 == 0 ? OTHER : CLUSTER);
            loop.changed(System.nanoTime());
            Thread.sleep(15);
        }

        assertThat(reports().stream().filter(r -> r.trigger() == Trigger.EVENTS).count()).isGreaterThan(10);
        assertThat(driftChecks.get()).isBetween(3, 6);
    }

    @Test
    void anOffThreadDriftCheckDoesNotHoldTheWorker() throws Exception {
        SlowReader kernel = new SlowReader(new FakeNft(), Duration.ofMillis(600));
        loop(kernel, kernel.reader(), SyncLoop.Options.defaults().withDriftInterval(Duration.ofMillis(200)));
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);
        await().atMost(TIMEOUT).until(kernel::reading);

        long changed = System.nanoTime();
        cluster.set(OTHER);
        loop.changed(changed);

        await().atMost(TIMEOUT).until(() -> reports().stream().anyMatch(r -> r.trigger() == Trigger.EVENTS));
        assertThat(kernel.reading()).as("the sync committed while the read-back was still going on").isTrue();
        assertThat(reports().stream().filter(r -> r.trigger() == Trigger.EVENTS).findFirst().orElseThrow()
                .eventToKernelNanos().orElseThrow()).isLessThan(TimeUnit.MILLISECONDS.toNanos(300));
    }

    @Test
    void stepsOverlappingCommitsAreDroppedNeverReportedAsDrift() throws Exception {
        SlowReader kernel = new SlowReader(new FakeNft(), Duration.ofMillis(150));
        loop(kernel, kernel.reader(), SyncLoop.Options.defaults().withDriftInterval(Duration.ofMillis(300)));
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);

        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2500);
        for (int i = 0; System.nanoTime() < end; i++) {
            cluster.set(i % 2 == 0 ? OTHER : CLUSTER);
            loop.changed(System.nanoTime());
            Thread.sleep(15);
        }

        assertThat(kernel.reads()).as("steps read while the worker kept committing").isGreaterThanOrEqualTo(
                DriftCycle.MAX_REDOS);
        assertThat(reports()).noneMatch(r -> r.trigger() == Trigger.DRIFT);
    }

    @Test
    void aStepWaitsForTheWorkerToBeIdle() throws Exception {
        SlowReader kernel = new SlowReader(new FakeNft(), Duration.ZERO);
        loop(kernel, kernel.reader(), SyncLoop.Options.defaults().withCoalesce(Duration.ofMillis(400))
                .withDriftInterval(Duration.ofSeconds(5)));
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);
        await().atMost(TIMEOUT).until(() -> kernel.reads() > 0); // the first cycle is under way

        cluster.set(OTHER);
        loop.changed(System.nanoTime());
        Thread.sleep(20); // a step under way when the change came ends
        int readsWhilePending = kernel.reads();
        Thread.sleep(300); // the change waits out its coalescing delay: a pending change, the worker is not idle

        assertThat(kernel.reads()).as("no step while a change is pending").isEqualTo(readsWhilePending);
        await().atMost(TIMEOUT).until(() -> reports().stream().anyMatch(r -> r.trigger() == Trigger.EVENTS));
        await().atMost(TIMEOUT).until(() -> kernel.reads() > readsWhilePending);
    }

    @Test
    void driftFoundOffThreadIsRepairedByTheWorker() throws Exception {
        FakeNft fake = new FakeNft();
        SlowReader kernel = new SlowReader(fake, Duration.ZERO);
        loop(kernel, kernel.reader(), SyncLoop.Options.defaults().withDriftInterval(Duration.ofMillis(200)));
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);

        synchronized (kernel) {
            fake.run(new Transaction().flushChain("filter-input"));
        }

        await().atMost(TIMEOUT).until(() -> reports().stream().anyMatch(r -> r.trigger() == Trigger.DRIFT));
        SyncReport repair = reports().stream().filter(r -> r.trigger() == Trigger.DRIFT).findFirst().orElseThrow();
        assertThat(repair.result().orElseThrow().readBack()).isTrue();
        assertThat(repair.result().orElseThrow().operations()).isPositive();
        assertThat(new RulesetApplier(kernel).verify(repair.ruleset().orElseThrow()).isEmpty()).isTrue();
    }

    @Test
    void stoppingLeavesTheTableAndIgnoresLaterChanges() throws Exception {
        FakeNft kernel = new FakeNft();
        loop(kernel, SyncLoop.Options.defaults());
        loop.start();
        await().atMost(TIMEOUT).until(loop::hasSynced);

        assertThat(loop.stop(Duration.ofSeconds(5))).isTrue();
        loop.changed(System.nanoTime());

        assertThat(loop.isAlive()).isFalse();
        assertThat(loop.healthy()).isFalse();
        assertThat(kernel.hasTable()).isTrue();
        Thread.sleep(100);
        assertThat(reports()).hasSize(1);
    }

    @Test
    void optionsRefuseNonsense() {
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> SyncLoop.Options.defaults().withDriftInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> SyncLoop.Options.defaults().withCoalesce(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(SyncLoop.Options.defaults().withCoalesce(Duration.ZERO).coalesce()).isZero();
    }

    /** Refuses the next n transactions, as the kernel would (nothing applied). */
    static final class FailingExecutor implements NftExecutor {
        private final NftExecutor delegate;
        private int failures;

        FailingExecutor(NftExecutor delegate, int failures) {
            this.delegate = delegate;
            this.failures = failures;
        }

        synchronized void failNext(int n) {
            failures = n;
        }

        @Override
        public synchronized String run(Transaction script) throws ApplyException {
            if (failures > 0) {
                failures--;
                throw ApplyException.refused("nft", script.render(), "Error: Could not process rule: Cannot allocate memory\n");
            }
            return delegate.run(script);
        }

        @Override
        public synchronized Optional<KernelTable> readBack() throws ApplyException {
            return delegate.readBack();
        }
    }

    /** Blocks a transaction until released, once {@link #block()} was called. */
    static final class BlockingExecutor implements NftExecutor {
        private final NftExecutor delegate;
        private volatile CountDownLatch gate;
        private volatile boolean blocked;

        BlockingExecutor(NftExecutor delegate) {
            this.delegate = delegate;
        }

        void block() {
            gate = new CountDownLatch(1);
        }

        void release() {
            gate.countDown();
        }

        boolean blocked() {
            return blocked;
        }

        @Override
        public String run(Transaction script) throws ApplyException {
            CountDownLatch g = gate;
            if (g != null) {
                blocked = true;
                try {
                    g.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return delegate.run(script);
        }

        @Override
        public Optional<KernelTable> readBack() throws ApplyException {
            return delegate.readBack();
        }
    }

    /**
     * One in-memory kernel for the worker, and {@link #reader()}: a second executor on it, as a second libnftables
     * context would be, whose read-backs take {@code delay} outside the kernel's lock (the worker keeps committing).
     */
    static final class SlowReader implements NftExecutor {
        private final NftExecutor delegate;
        private final Duration delay;
        private final AtomicInteger reads = new AtomicInteger();
        private volatile boolean reading;

        SlowReader(NftExecutor delegate, Duration delay) {
            this.delegate = delegate;
            this.delay = delay;
        }

        @Override
        public synchronized String run(Transaction script) throws ApplyException {
            return delegate.run(script);
        }

        @Override
        public synchronized Optional<KernelTable> readBack() throws ApplyException {
            return delegate.readBack();
        }

        boolean reading() {
            return reading;
        }

        int reads() {
            return reads.get();
        }

        NftExecutor reader() {
            return new NftExecutor() {
                @Override
                public String run(Transaction script) {
                    throw new UnsupportedOperationException("the drift reader only reads");
                }

                @Override
                public Optional<KernelTable> readBack() throws ApplyException {
                    reading = true;
                    try {
                        Optional<KernelTable> table = SlowReader.this.readBack();
                        Thread.sleep(delay.toMillis());
                        return table;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return Optional.empty();
                    } finally {
                        reads.incrementAndGet();
                        reading = false;
                    }
                }
            };
        }
    }
}
