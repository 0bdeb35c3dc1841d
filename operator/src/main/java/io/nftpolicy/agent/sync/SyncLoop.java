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
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the agent does on each reconciliation of its Node (io.nftpolicy.agent.controller): compile this node's
 * ruleset and apply it, check for drift, repair. It has no thread and no timer of its own: the controller (Java
 * Operator SDK) calls {@link #step} one at a time, folds the events that arrive meanwhile into one follow-up,
 * retries a failed step with {@link Backoff}, and reconciles at least every {@link Options#driftInterval()}.
 * libnftables keeps process-global state, so the controller runs reconciliations on one thread.
 *
 * <ul>
 *   <li><b>Coalescing.</b> A change ({@link #changed}) marks the loop dirty. Two syncs start at least
 *       {@link Options#coalesce()} apart: a change that finds the last sync's start longer ago than that is synced at
 *       once, any other waits for the rest of the window ({@link #step} asks to be called again then) and goes with
 *       every change that arrived meanwhile. So a lone change costs no wait, and a burst (a Deployment scaled up)
 *       is one sync per window, as is steady churn.</li>
 *   <li><b>Sync.</b> A snapshot of the cache, compiled for this node ({@link NodeCompiler}: incremental, so
 *       the cost follows what changed), applied as a difference ({@link RulesetApplier#apply}).</li>
 *   <li><b>Failure.</b> The applier then forgets what it committed, so the retry reads the table back and
 *       re-syncs in full. {@link #step} throws {@link SyncFailedException}; the controller retries with
 *       {@link Backoff}: {@link Options#initialBackoff()} doubling up to {@link Options#maxBackoff()}.</li>
 *   <li><b>Drift.</b> Every {@link Options#driftInterval()}, even while changes keep coming, the table is read
 *       back and compared with what was last applied; a difference is repaired by a sync at once. With a drift
 *       reader (an executor on a second libnftables context, used by the drift thread {@code nftpolicy-drift}
 *       alone), the table is read in small steps ({@link SteppedVerifier}) spread over half the interval
 *       ({@link DriftCycle}), each only while no reconciliation runs or waits, unless the cycle has run for a whole
 *       interval; a step during which a transaction was committed is redone, or skipped to the next cycle, never
 *       reported. A difference found there is handed to the controller ({@code wake}) and repaired by the next
 *       step. Without a drift reader every check is one full read-back in {@link #step}, between syncs.</li>
 * </ul>
 *
 * <p>Health: {@link #healthy()} is false when one step has been running for longer than
 * {@link Options#stuckAfter()} (a kernel call that never returns). {@link #hasSynced()} turns true with the first
 * successful sync and stays true.
 */
public final class SyncLoop implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SyncLoop.class);

    /**
     * @param coalesce       least time between the starts of two syncs (default 20 ms)
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

    /** Longest wait of the drift thread between looks at the worker. */
    private static final long DRIFT_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final String node;
    private final Supplier<CacheSnapshot> input;
    private final NodeCompiler compiler;
    private final RulesetApplier applier;
    /** Reads the table back on the drift thread, through a libnftables context of its own; null: in the step. */
    private final NftExecutor driftReader;
    private final Options options;
    private final Clock clock;
    private final List<SyncObserver> observers = new CopyOnWriteArrayList<>();
    private final boolean driftOnWorker;
    private ScheduledExecutorService driftThread;
    /** Called when the drift thread found a difference: the controller runs a step soon. */
    private volatile Runnable wake = () -> {};

    // What there is to do, written by the informers' threads and the drift thread, read by the step.
    private final Object lock = new Object();
    private volatile boolean running;
    private boolean dirty;
    /** The earliest start of the next sync: the last one's start plus the coalescing window. */
    private long nextSyncNanos;
    private long oldestChangeNanos = Long.MAX_VALUE;
    private volatile boolean failing;
    private int consecutiveFailures;
    private volatile long driftDueNanos;
    /** Odd while a step is in a kernel transaction; bumped before and after each: the drift thread's clock. */
    private final java.util.concurrent.atomic.AtomicLong kernelWrites = new java.util.concurrent.atomic.AtomicLong();
    /** The ruleset last committed, for the drift thread. */
    private volatile Ruleset appliedShared;
    private volatile boolean repairPending;

    // The step's own state (one step at a time).
    private Ruleset applied;
    private boolean startupDone;

    private volatile long busySinceNanos;
    private volatile boolean synced;

    // The drift thread's own state.
    private DriftCycle cycle;
    private SteppedVerifier verifier;
    private long readNanos;

    public SyncLoop(String node, Supplier<CacheSnapshot> input, NodeCompiler compiler, RulesetApplier applier,
                    Options options) {
        this(node, input, compiler, applier, null, options, Clock.systemUTC());
    }

    /**
     * @param driftReader a second executor of the same kernel table (its own libnftables context), used only by
     *                    the drift thread to read the table back in steps; null: drift checks in the step
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
        this.driftOnWorker = driftReader == null;
    }

    public void addObserver(SyncObserver observer) {
        observers.add(Objects.requireNonNull(observer, "observer"));
    }

    public Options options() {
        return options;
    }

    /**
     * Makes the first step the startup sync, and starts the drift thread (with a drift reader).
     *
     * @param wake asks the controller for a step soon (after the drift thread found a difference)
     */
    public void start(Runnable wake) {
        synchronized (lock) {
            if (running || driftThread != null) {
                throw new IllegalStateException("already started");
            }
            this.wake = Objects.requireNonNull(wake, "wake");
            running = true;
            dirty = true;
            nextSyncNanos = System.nanoTime();
        }
        if (driftReader != null) {
            verifier = new SteppedVerifier(driftReader);
            cycle = new DriftCycle(options.driftInterval());
            ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "nftpolicy-drift");
                t.setDaemon(true);
                return t;
            });
            pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            driftThread = pool;
            driftThread.schedule(this::driftTick, DRIFT_POLL_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Marks the loop dirty: a change arrived at {@code receivedNanos} ({@link System#nanoTime()}). Thread-safe and
     * cheap; called from the informers' threads, before the controller hears of the event.
     */
    public void changed(long receivedNanos) {
        synchronized (lock) {
            dirty = true;
            oldestChangeNanos = Math.min(oldestChangeNanos, receivedNanos);
        }
    }

    /** Whether a sync has succeeded since the start. */
    public boolean hasSynced() {
        return synced;
    }

    /** Not stuck in one step. */
    public boolean healthy() {
        long busy = busySinceNanos;
        return busy == 0 || System.nanoTime() - busy < options.stuckAfter().toNanos();
    }

    /**
     * One reconciliation: a retry, a repair, a drift check or a sync, whichever is due (in that order: under
     * steady churn the drift check still comes every interval).
     *
     * @param retry the controller retries after a failed step
     * @return when to be called again at the latest (the coalescing window's end, or the next drift check)
     * @throws SyncFailedException when the kernel refused the sync; the controller retries with {@link Backoff}
     */
    public Duration step(boolean retry) {
        if (!running) {
            return options.driftInterval();
        }
        busySinceNanos = System.nanoTime();
        try {
            if (retry && failing) {
                sync(Trigger.RETRY);
            } else if (repairPending) {
                repairPending = false;
                repair(null);
            } else if (applied != null && driftOnWorker && System.nanoTime() - driftDueNanos >= 0) {
                driftCheck();
            }
            long due;
            synchronized (lock) {
                due = dirty ? nextSyncNanos : Long.MAX_VALUE;
            }
            long now = System.nanoTime();
            if (due != Long.MAX_VALUE) {
                if (now - due < 0) {
                    return Duration.ofNanos(due - now);
                }
                sync(startupDone ? Trigger.EVENTS : Trigger.STARTUP);
            }
            long driftIn = driftOnWorker && applied != null ? driftDueNanos - System.nanoTime()
                    : options.driftInterval().toNanos();
            return Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), driftIn));
        } finally {
            busySinceNanos = 0;
        }
    }

    /**
     * Stops the drift thread, waiting up to {@code timeout}; later steps do nothing. Nothing is removed from the
     * kernel: the rules stay enforced until the next agent takes over.
     *
     * @return whether the drift thread ended in time
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        running = false;
        if (driftThread == null) {
            return true;
        }
        driftThread.shutdown();
        return driftThread.awaitTermination(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS);
    }

    /** {@link #stop} with 30 s; an interrupt is kept for the caller. */
    @Override
    public void close() {
        try {
            if (!stop(Duration.ofSeconds(30))) {
                LOG.warn("the drift thread did not stop within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sync(Trigger trigger) {
        long oldest;
        long start = System.nanoTime();
        synchronized (lock) {
            dirty = false;
            oldest = oldestChangeNanos;
            oldestChangeNanos = Long.MAX_VALUE;
            nextSyncNanos = start + options.coalesce().toNanos();
        }
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
            kernelWrites.incrementAndGet();
            try {
                result = applier.apply(compilation.ruleset());
            } finally {
                kernelWrites.incrementAndGet();
            }
            long commit = System.nanoTime();
            applied = result.committed();
            boolean carried = startupDone && oldest != Long.MAX_VALUE;
            OptionalLong latency = carried ? OptionalLong.of(Math.max(0, commit - oldest)) : OptionalLong.empty();
            OptionalLong queued = carried ? OptionalLong.of(Math.max(0, start - oldest)) : OptionalLong.empty();
            startupDone = true;
            appliedShared = applied;
            failing = false;
            synchronized (lock) {
                consecutiveFailures = 0;
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
                    compileDone - snapshotDone, queued));
            synced = true; // after the observers, so that whoever sees it ready also finds the report
        } catch (ApplyException | RuntimeException e) {
            long failed = System.nanoTime();
            Duration retryIn;
            int failures;
            synchronized (lock) {
                oldestChangeNanos = Math.min(oldestChangeNanos, oldest);
                failures = ++consecutiveFailures;
                retryIn = Backoff.of(options).delay(failures);
            }
            failing = true;
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
                    compileDone - snapshotDone, OptionalLong.empty()));
            throw new SyncFailedException(message, e);
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
        driftDueNanos = System.nanoTime() + options.driftInterval().toNanos();
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
     * On the drift thread: the next step of the drift cycle, when it is due and no reconciliation runs or waits
     * (see the class comment), then this tick again when the next step is due. Each step compares with the ruleset
     * committed when it began; a commit during the step makes its result unreliable (either state may have been
     * seen), so {@link DriftCycle} redoes or skips it.
     */
    private void driftTick() {
        if (!running) {
            return;
        }
        long wait;
        try {
            wait = driftStep();
        } catch (RuntimeException e) {
            LOG.error("drift check failed unexpectedly", e);
            wait = DRIFT_POLL_NANOS;
        }
        try {
            driftThread.schedule(this::driftTick, Math.max(1, wait), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("drift thread stopped");
        }
    }

    /** Runs the next step if it may run now; returns how long to wait before looking again. */
    private long driftStep() {
        long now = System.nanoTime();
        Ruleset target = appliedShared;
        if (!cycle.active() && target != null && !repairPending && now - driftDueNanos >= 0) {
            cycle.start(target, now);
            driftDueNanos = now + options.driftInterval().toNanos();
            readNanos = 0;
        }
        boolean stable = kernelWrites.get() % 2 == 0 && !failing && !repairPending;
        boolean idle;
        synchronized (lock) {
            idle = stable && !dirty && busySinceNanos == 0;
        }
        if (!(cycle.active() && now - cycle.nextStepNanos() >= 0 && (idle || stable && cycle.overdue(now)))) {
            return !cycle.active() ? (target == null ? DRIFT_POLL_NANOS : driftDueNanos - now)
                    : Math.min(DRIFT_POLL_NANOS, Math.max(cycle.nextStepNanos() - now, 1));
        }
        target = appliedShared;
        long writesBefore = kernelWrites.get();
        cycle.follow(target);
        SteppedVerifier.Step step = cycle.next();
        long start = System.nanoTime();
        Drift drift;
        try {
            drift = verifier.check(step, target);
        } catch (ApplyException | RuntimeException e) {
            LOG.warn("drift check ({}): cannot read the table back: {}", step, oneLine(e.getMessage()));
            cycle.abandon();
            repairPending = true; // the repair reads back with the step's own context, and backs off
            wake.run();
            return DRIFT_POLL_NANOS;
        }
        long end = System.nanoTime();
        readNanos += end - start;
        if (kernelWrites.get() != writesBefore) {
            cycle.overlapped(end);
            LOG.debug("drift check: step {} overlapped a commit, dropped", step);
            return 1;
        }
        cycle.completed(drift, end);
        if (!drift.isEmpty()) {
            cycle.abandon(); // the repair reads the whole table back and sends exactly the difference
            Drift found = cycle.found();
            LOG.warn("drift: the kernel's table differs from the applied ruleset ({} differences), "
                    + "repairing:\n{}", found.differences().size(), found);
            driftChecked(found, readNanos);
            repairPending = true;
            wake.run();
        } else if (!cycle.active()) {
            LOG.debug("drift check: {} steps, {} redone, {} skipped, {} ms reading", cycle.done(),
                    cycle.redone(), cycle.skipped(), readNanos / 1_000_000);
            driftChecked(cycle.found(), readNanos);
        }
        return 1;
    }

    private SyncReport report(Trigger trigger, long durationNanos, OptionalLong latency, CacheSnapshot snapshot,
                              Compilation compilation, Optional<ApplyResult> result, Optional<String> error,
                              Optional<String> failingCommand, int failures, Optional<Duration> retryIn,
                              long snapshotNanos, long compileNanos, OptionalLong queuedNanos) {
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
                failingCommand, failures, retryIn, snapshotNanos, Math.max(0, compileNanos), queuedNanos);
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
