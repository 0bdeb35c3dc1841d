package io.nftpolicy.agent.sync;

import io.nftpolicy.agent.cache.CacheSnapshot;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.Drift;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.SteppedVerifier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's one worker: it alone compiles and touches the kernel (libnftables keeps process-global state and
 * wants one thread).
 *
 * <ul>
 *   <li><b>Coalescing.</b> A change marks the loop dirty. The sync starts {@link Options#coalesce()} after the first
 *       change that found it clean, so a burst (a Deployment scaled up, a namespace relabelled) becomes one sync.
 *       Changes arriving during a sync make the next one.</li>
 *   <li><b>Sync.</b> A snapshot of the cache, compiled for this node ({@link NodeCompiler}: incremental, so
 *       the cost follows what changed), applied as a
 *       difference ({@link RulesetApplier#apply}).</li>
 *   <li><b>Failure.</b> The applier then forgets what it committed, so the retry reads the table back and
 *       re-syncs in full. Retries back off exponentially, {@link Options#initialBackoff()} doubling up to
 *       {@link Options#maxBackoff()}; changes arriving meanwhile wait for the retry, which includes them.</li>
 *   <li><b>Drift.</b> Every {@link Options#driftInterval()}, even while changes keep coming, the table is read
 *       back and compared with what was last applied; a difference is repaired by a sync on the worker at once.
 *       With a drift reader (an executor on a second libnftables context, used by the drift thread
 *       {@code nftpolicy-drift} alone: one context per thread), the table is read in small steps
 *       ({@link SteppedVerifier}: the declarations, then one set or map per step) spread over half the interval
 *       ({@link DriftCycle}). A step runs only while the worker is idle (no pending change, no sync, no retry),
 *       unless the cycle has run for a whole interval; it compares with the ruleset committed when it began, and a
 *       step during which a transaction was committed is redone, or skipped to the next cycle, never reported.
 *       Without a drift reader every check is one full read-back on the worker ({@link RulesetApplier#verify}),
 *       between syncs.</li>
 * </ul>
 *
 * <p>Health: {@link #healthy()} is false once the thread has died, or when one step has been running for longer
 * than {@link Options#stuckAfter()} (a kernel call that never returns). {@link #hasSynced()} turns true with the
 * first successful sync and stays true.
 */
public final class SyncLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

    /**
     * @param coalesce       wait after the first change before syncing (default 20 ms)
     * @param driftInterval  read-back period (default 10 s)
     * @param initialBackoff first retry delay after a failure (default 100 ms)
     * @param maxBackoff     longest retry delay (default 10 s)
     * @param stuckAfter     a step running longer than this makes the loop unhealthy (default 2 min)
     */
    public record Options(Duration coalesce, Duration driftInterval, Duration initialBackoff, Duration maxBackoff,
                          Duration stuckAfter) {
        public Options {
            requirePositive(coalesce, "coalesce", true);
            requirePositive(driftInterval, "driftInterval", false);
            requirePositive(initialBackoff, "initialBackoff", false);
            requirePositive(maxBackoff, "maxBackoff", false);
            requirePositive(stuckAfter, "stuckAfter", false);
        }

        public static Options defaults() {
            return new Options(Duration.ofMillis(20), Duration.ofSeconds(10), Duration.ofMillis(100),
                    Duration.ofSeconds(10), Duration.ofMinutes(2));
        }

        public Options withCoalesce(Duration d) {
            return new Options(d, driftInterval, initialBackoff, maxBackoff, stuckAfter);
        }

        public Options withDriftInterval(Duration d) {
            return new Options(coalesce, d, initialBackoff, maxBackoff, stuckAfter);
        }

        public Options withBackoff(Duration initial, Duration max) {
            return new Options(coalesce, driftInterval, initial, max, stuckAfter);
        }

        public Options withStuckAfter(Duration d) {
            return new Options(coalesce, driftInterval, initialBackoff, maxBackoff, d);
        }

        private static void requirePositive(Duration d, String name, boolean zeroAllowed) {
            Objects.requireNonNull(d, name);
            if (d.isNegative() || !zeroAllowed && d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive: " + d);
            }
        }
    }

    /** Longest wait of the drift thread between looks at the worker (it is also woken by every commit). */
    private static final long DRIFT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final String node;
    private final Supplier<CacheSnapshot> input;
    private final NodeCompiler compiler;
    private final RulesetApplier applier;
    /** Reads the table back on the drift thread, through a libnftables context of its own; null: on the worker. */
    private final NftExecutor driftReader;
    private final Thread driftThread;
    private final Options options;
    private final Clock clock;
    private final List<SyncObserver> observers = new CopyOnWriteArrayList<>();
    private final Thread thread;

    // Guarded by lock: what there is to do.
    private final Object lock = new Object();
    private boolean running;
    private boolean dirty;
    private long dirtySinceNanos;
    private long oldestChangeNanos = Long.MAX_VALUE;
    private boolean failing;
    private long retryAtNanos;
    private long backoffNanos;
    private int consecutiveFailures;
    private long driftDueNanos;
    /** Odd while the worker is in a kernel transaction; bumped before and after each: the drift thread's clock. */
    private long kernelWrites;
    /** The ruleset last committed, for the drift thread. */
    private Ruleset appliedShared;
    private final boolean driftOnWorker;
    private boolean repairPending;

    // The worker's own state.
    private Ruleset applied;
    private boolean startupDone;

    private volatile long busySinceNanos;
    private volatile boolean synced;

    public SyncLoop(String node, Supplier<CacheSnapshot> input, NodeCompiler compiler, RulesetApplier applier,
                    Options options) {
        this(node, input, compiler, applier, null, options, Clock.systemUTC());
    }

    /**
     * @param driftReader a second executor of the same kernel table (its own libnftables context), used only by
     *                    the drift thread to read the table back in steps; null: drift checks on the worker
     */
    public SyncLoop(String node, Supplier<CacheSnapshot> input, NodeCompiler compiler, RulesetApplier applier,
                    NftExecutor driftReader, Options options, Clock clock) {
        this.node = Objects.requireNonNull(node, "node");
        this.input = Objects.requireNonNull(input, "input");
        this.compiler = Objects.requireNonNull(compiler, "compiler");
        this.applier = Objects.requireNonNull(applier, "applier");
        this.driftReader = driftReader;
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.thread = new Thread(this::run, "nftpolicy-sync");
        this.thread.setDaemon(true);
        this.driftThread = driftReader == null ? null : new Thread(this::driftLoop, "nftpolicy-drift");
        if (driftThread != null) {
            driftThread.setDaemon(true);
        }
        this.driftOnWorker = driftReader == null;
    }

    public void addObserver(SyncObserver observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
    }

    /** Starts the worker, which syncs at once (the startup sync), then as changes arrive. */
    public void start() {
        synchronized (lock) {
            if (running || thread.getState() != Thread.State.NEW) {
                throw new IllegalStateException("already started");
            }
            running = true;
            dirty = true;
            dirtySinceNanos = System.nanoTime() - options.coalesce().toNanos();
        }
        thread.start();
        if (driftThread != null) {
            driftThread.start();
        }
    }

    /**
     * Marks the loop dirty: a change arrived at {@code receivedNanos} ({@link System#nanoTime()}). Thread-safe and
     * cheap; called from the informers' threads.
     */
    public void changed(long receivedNanos) {
        synchronized (lock) {
            if (!dirty) {
                dirty = true;
                dirtySinceNanos = System.nanoTime();
            }
            oldestChangeNanos = Math.min(oldestChangeNanos, receivedNanos);
            lock.notifyAll();
        }
    }

    /** Whether a sync has succeeded since the start. */
    public boolean hasSynced() {
        return synced;
    }

    /** The worker is alive and not stuck in one step. */
    public boolean healthy() {
        if (!thread.isAlive()) {
            return false;
        }
        long busy = busySinceNanos;
        return busy == 0 || System.nanoTime() - busy < options.stuckAfter().toNanos();
    }

    public boolean isAlive() {
        return thread.isAlive();
    }

    /**
     * Stops the worker after the step it is in, waiting up to {@code timeout}. Nothing is removed from the kernel:
     * the rules stay enforced until the next agent takes over.
     *
     * @return whether the worker ended in time
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        synchronized (lock) {
            running = false;
            lock.notifyAll();
        }
        if (thread.getState() == Thread.State.NEW) {
            return true;
        }
        thread.join(Math.max(1, timeout.toMillis()));
        if (driftThread != null && driftThread.getState() != Thread.State.NEW) {
            driftThread.join(Math.max(1, timeout.toMillis()));
        }
        return !thread.isAlive() && (driftThread == null || !driftThread.isAlive());
    }

    /** {@link #stop} with 30 s; an interrupt is kept for the caller. */
    @Override
    public void close() {
        try {
            if (!stop(Duration.ofSeconds(30))) {
                LOG.warn("the sync loop did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- the worker ----

    private enum Step { SYNC, RETRY, DRIFT_CHECK, DRIFT_REPAIR }

    private void run() {
        while (true) {
            Step step;
            synchronized (lock) {
                if (!running) {
                    return;
                }
                long now = System.nanoTime();
                long waitUntil;
                if (failing) {
                    step = now - retryAtNanos >= 0 ? Step.RETRY : null;
                    waitUntil = retryAtNanos;
                } else if (repairPending) {
                    step = Step.DRIFT_REPAIR;
                    waitUntil = now;
                } else if (applied != null && driftOnWorker && now - driftDueNanos >= 0) {
                    // Before pending changes: under steady churn the check must still come every interval.
                    step = Step.DRIFT_CHECK;
                    waitUntil = now;
                } else if (dirty) {
                    long due = dirtySinceNanos + options.coalesce().toNanos();
                    step = now - due >= 0 ? Step.SYNC : null;
                    waitUntil = due;
                } else {
                    step = null;
                    waitUntil = applied != null && driftOnWorker ? driftDueNanos : now + TimeUnit.SECONDS.toNanos(60);
                }
                if (step == null) {
                    try {
                        TimeUnit.NANOSECONDS.timedWait(lock, Math.max(1, waitUntil - now));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    continue;
                }
            }
            busySinceNanos = System.nanoTime();
            try {
                switch (step) {
                    case SYNC -> sync(startupDone ? Trigger.EVENTS : Trigger.STARTUP);
                    case RETRY -> sync(Trigger.RETRY);
                    case DRIFT_CHECK -> driftCheck();
                    case DRIFT_REPAIR -> repair();
                }
            } catch (RuntimeException e) {
                LOG.error("sync loop step {} failed unexpectedly", step, e);
            } finally {
                busySinceNanos = 0;
            }
        }
    }

    private void sync(Trigger trigger) {
        long oldest;
        synchronized (lock) {
            dirty = false;
            oldest = oldestChangeNanos;
            oldestChangeNanos = Long.MAX_VALUE;
        }
        long start = System.nanoTime();
        CacheSnapshot snapshot = null;
        Compilation compilation = null;
        long snapshotDone = start;
        long compileDone = start;
        try {
            snapshot = input.get();
            snapshotDone = System.nanoTime();
            compilation = compiler.compile(snapshot.cluster());
            compileDone = System.nanoTime();
            ApplyResult result;
            synchronized (lock) {
                kernelWrites++;
            }
            try {
                result = applier.apply(compilation.ruleset());
            } finally {
                synchronized (lock) {
                    kernelWrites++;
                    lock.notifyAll(); // a drift step may be waiting for the worker to be idle
                }
            }
            long commit = System.nanoTime();
            applied = result.committed();
            OptionalLong latency = startupDone && oldest != Long.MAX_VALUE
                    ? OptionalLong.of(Math.max(0, commit - oldest)) : OptionalLong.empty();
            startupDone = true;
            synchronized (lock) {
                appliedShared = applied;
                lock.notifyAll(); // the drift thread waits for a first ruleset
                failing = false;
                consecutiveFailures = 0;
                backoffNanos = 0;
                if (trigger != Trigger.EVENTS) {
                    // This sync read the table back first (startup, retry, repair): as good as a check. An
                    // incremental sync trusts its committed state, so it does not postpone the next check.
                    driftDueNanos = commit + options.driftInterval().toNanos();
                }
            }
            if (result.operations() > 0 || trigger != Trigger.EVENTS) {
                LOG.info("sync ({}): {}", trigger.name().toLowerCase(), result);
            } else {
                LOG.debug("sync ({}): {}", trigger.name().toLowerCase(), result);
            }
            publish(report(trigger, commit - start, latency, snapshot, compilation, Optional.of(result),
                    Optional.empty(), Optional.empty(), 0, Optional.empty(), snapshotDone - start,
                    compileDone - snapshotDone));
            synced = true; // after the observers, so that whoever sees it ready also finds the report
        } catch (ApplyException | RuntimeException e) {
            long failed = System.nanoTime();
            Duration retryIn;
            int failures;
            synchronized (lock) {
                oldestChangeNanos = Math.min(oldestChangeNanos, oldest);
                failing = true;
                failures = ++consecutiveFailures;
                backoffNanos = backoffNanos == 0 ? options.initialBackoff().toNanos()
                        : Math.min(backoffNanos * 2, options.maxBackoff().toNanos());
                retryAtNanos = failed + backoffNanos;
                retryIn = Duration.ofNanos(backoffNanos);
            }
            Optional<String> failingCommand = e instanceof ApplyException a ? a.failingCommand() : Optional.empty();
            String message = oneLine(e instanceof ApplyException ? e.getMessage() : e.toString());
            if (e instanceof RuntimeException) {
                LOG.error("sync ({}) failed, retrying in {} ms", trigger.name().toLowerCase(), retryIn.toMillis(), e);
            } else {
                LOG.warn("sync ({}) failed, retrying in {} ms: {}", trigger.name().toLowerCase(), retryIn.toMillis(),
                        message);
            }
            publish(report(trigger, failed - start, OptionalLong.empty(), snapshot, compilation, Optional.empty(),
                    Optional.of(message), failingCommand, failures, Optional.of(retryIn), snapshotDone - start,
                    compileDone - snapshotDone));
        }
    }

    private void driftCheck() {
        long start = System.nanoTime();
        Drift drift;
        try {
            drift = applier.verify(applied);
        } catch (ApplyException e) {
            // The kernel cannot be read: a sync from scratch (read-back, then the difference) finds out more, and
            // backs off when it fails too.
            LOG.warn("drift check: cannot read the table back: {}", oneLine(e.getMessage()));
            applier.forgetCommittedState();
            sync(Trigger.RETRY);
            return;
        }
        long duration = System.nanoTime() - start;
        synchronized (lock) {
            driftDueNanos = System.nanoTime() + options.driftInterval().toNanos();
        }
        driftChecked(drift, duration);
        if (!drift.isEmpty()) {
            repair(drift);
        }
    }

    private void driftChecked(Drift drift, long durationNanos) {
        for (SyncObserver o : observers) {
            try {
                o.driftChecked(drift, durationNanos);
            } catch (RuntimeException e) {
                LOG.warn("observer {} failed on a drift check", o, e);
            }
        }
    }

    /** On the worker, after the drift thread found a difference. */
    private void repair() {
        synchronized (lock) {
            repairPending = false;
        }
        repair(null);
    }

    private void repair(Drift drift) {
        if (drift != null) {
            LOG.warn("drift: the kernel's table differs from the applied ruleset ({} differences), repairing:\n{}",
                    drift.differences().size(), drift);
        }
        // The repair reads the table back and sends exactly the difference, whatever was committed meanwhile.
        applier.forgetCommittedState();
        sync(Trigger.DRIFT);
    }

    /**
     * The drift thread: reads the table back in steps through its own libnftables context while the worker goes
     * on (see the class comment). Each step compares with the ruleset committed when it began; a commit during the
     * step makes its result unreliable (either state may have been seen), so {@link DriftCycle} redoes or skips it.
     */
    private void driftLoop() {
        SteppedVerifier verifier = new SteppedVerifier(driftReader);
        DriftCycle cycle = new DriftCycle(options.driftInterval());
        long readNanos = 0;
        while (true) {
            Ruleset target;
            long writesBefore;
            synchronized (lock) {
                while (true) {
                    if (!running) {
                        return;
                    }
                    long now = System.nanoTime();
                    if (!cycle.active() && appliedShared != null && !repairPending && now - driftDueNanos >= 0) {
                        cycle.start(appliedShared, now);
                        driftDueNanos = now + options.driftInterval().toNanos();
                        readNanos = 0;
                    }
                    boolean stable = kernelWrites % 2 == 0 && !failing && !repairPending;
                    boolean idle = stable && !dirty;
                    if (cycle.active() && now - cycle.nextStepNanos() >= 0 && (idle || stable && cycle.overdue(now))) {
                        break;
                    }
                    long wait = !cycle.active() ? (appliedShared == null ? DRIFT_POLL_NANOS : driftDueNanos - now)
                            : Math.min(DRIFT_POLL_NANOS, Math.max(cycle.nextStepNanos() - now, 1));
                    try {
                        TimeUnit.NANOSECONDS.timedWait(lock, Math.max(1, wait));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
                target = appliedShared;
                writesBefore = kernelWrites;
                cycle.follow(target);
            }
            SteppedVerifier.Step step = cycle.next();
            long start = System.nanoTime();
            Drift drift;
            try {
                drift = verifier.check(step, target);
            } catch (ApplyException | RuntimeException e) {
                LOG.warn("drift check ({}): cannot read the table back: {}", step, oneLine(e.getMessage()));
                cycle.abandon();
                synchronized (lock) {
                    repairPending = true; // the worker's repair reads back with its own context, and backs off
                    lock.notifyAll();
                }
                continue;
            }
            long end = System.nanoTime();
            readNanos += end - start;
            boolean overlapped;
            synchronized (lock) {
                overlapped = kernelWrites != writesBefore;
                if (overlapped) {
                    cycle.overlapped(end);
                    LOG.debug("drift check: step {} overlapped a commit, dropped", step);
                    continue;
                }
                cycle.completed(drift, end);
                if (!drift.isEmpty()) {
                    cycle.abandon(); // the repair reads the whole table back and sends exactly the difference
                    repairPending = true;
                    lock.notifyAll();
                }
            }
            if (!drift.isEmpty()) {
                Drift found = cycle.found();
                LOG.warn("drift: the kernel's table differs from the applied ruleset ({} differences), "
                        + "repairing:\n{}", found.differences().size(), found);
                driftChecked(found, readNanos);
            } else if (!cycle.active()) {
                LOG.debug("drift check: {} steps, {} redone, {} skipped, {} ms reading", cycle.done(),
                        cycle.redone(), cycle.skipped(), readNanos / 1_000_000);
                driftChecked(cycle.found(), readNanos);
            }
        }
    }

    private SyncReport report(Trigger trigger, long durationNanos, OptionalLong latency, CacheSnapshot snapshot,
                              Compilation compilation, Optional<ApplyResult> result, Optional<String> error,
                              Optional<String> failingCommand, int failures, Optional<Duration> retryIn,
                              long snapshotNanos, long compileNanos) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        int policies = 0;
        int localPods = 0;
        Map<String, io.nftpolicy.agent.cache.PolicyRef> refs = Map.of();
        if (snapshot != null) {
            diagnostics.addAll(snapshot.conversionDiagnostics());
            ClusterSnapshot cluster = snapshot.cluster();
            policies = cluster.policies().size();
            for (Pod pod : cluster.pods()) {
                if (pod.nodeName().equals(node) && pod.participates() && !pod.ips().isEmpty()) {
                    localPods++;
                }
            }
            refs = snapshot.policies();
        }
        if (compilation != null) {
            diagnostics.addAll(compilation.diagnostics());
        }
        return new SyncReport(trigger, clock.instant(), durationNanos, latency, policies, localPods,
                // What the kernel holds when applied (with its flow generation), else what was compiled.
                result.map(ApplyResult::committed).or(() -> Optional.ofNullable(compilation).map(Compilation::ruleset)),
                diagnostics, refs, result, error,
                failingCommand, failures, retryIn, snapshotNanos, Math.max(0, compileNanos));
    }

    private void publish(SyncReport report) {
        for (SyncObserver o : observers) {
            try {
                o.synced(report);
            } catch (RuntimeException e) {
                LOG.warn("observer {} failed on a sync report", o, e);
            }
        }
    }

    /** The first line of a message, at most 1,000 characters (status and Event messages stay readable). */
    static String oneLine(String message) {
        String s = message == null ? "" : message.strip();
        int nl = s.indexOf('\n');
        if (nl >= 0) {
            s = s.substring(0, nl).strip();
        }
        return s.length() > 1000 ? s.substring(0, 997) + "..." : s;
    }
}
