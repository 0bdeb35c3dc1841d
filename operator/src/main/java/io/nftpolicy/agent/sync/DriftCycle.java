package io.nftpolicy.agent.sync;

import io.nftpolicy.backend.sync.Drift;
import io.nftpolicy.backend.sync.SteppedVerifier;
import io.nftpolicy.backend.sync.SteppedVerifier.Step;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The plan of one stepped drift check ({@link SteppedVerifier}): which steps are left, when the next one is due,
 * and what was found. No threads and no kernel: the drift thread drives it, tests drive it directly.
 *
 * <ul>
 *   <li><b>Pacing.</b> The steps of a cycle are spread over {@link #SPREAD} of the interval, so that one cycle
 *       reads the whole table well within it while no step follows another closely.</li>
 *   <li><b>Changing ruleset.</b> Sets and maps the applied ruleset gains during the cycle are added to it
 *       ({@link #follow}); those it loses are skipped by the verifier.</li>
 *   <li><b>Overlap.</b> A step whose read overlapped a commit may have seen either state: it is redone, and after
 *       {@link #MAX_REDOS} overlaps in a row it is skipped to the next cycle, never reported as drift.</li>
 * </ul>
 */
final class DriftCycle {
    /** Part of the interval over which a cycle's steps are spread. */
    static final double SPREAD = 0.5;
    /** Times a step is redone after overlapping a commit before it is left to the next cycle. */
    static final int MAX_REDOS = 3;

    private final long intervalNanos;
    private final Deque<Step> steps = new ArrayDeque<>();
    private final Set<Step> planned = new HashSet<>();
    private final List<String> found = new ArrayList<>();
    private Ruleset following;
    private long startNanos;
    private long gapNanos;
    private long nextStepNanos;
    private int overlaps;
    private int redone;
    private int skipped;
    private int done;

    DriftCycle(Duration interval) {
        this.intervalNanos = interval.toNanos();
    }

    /** Plans a cycle over {@code ruleset}, its first step due at once. */
    void start(Ruleset ruleset, long nowNanos) {
        steps.clear();
        planned.clear();
        found.clear();
        steps.addAll(SteppedVerifier.cycle(ruleset));
        planned.addAll(steps);
        following = ruleset;
        startNanos = nowNanos;
        gapNanos = (long) (intervalNanos * SPREAD / steps.size());
        nextStepNanos = nowNanos;
        overlaps = 0;
        redone = 0;
        skipped = 0;
        done = 0;
    }

    /** Adds a step for each set and map of {@code applied} not planned yet. */
    void follow(Ruleset applied) {
        if (applied == following) {
            return;
        }
        following = applied;
        for (Step step : SteppedVerifier.objects(applied)) {
            if (planned.add(step)) {
                steps.addLast(step);
            }
        }
    }

    /** Whether steps are left. */
    boolean active() {
        return !steps.isEmpty();
    }

    /** The step to run next; only when {@link #active()}. */
    Step next() {
        return steps.getFirst();
    }

    /** When the next step is due ({@link System#nanoTime()} scale). */
    long nextStepNanos() {
        return nextStepNanos;
    }

    /** Whether the cycle has run for an interval: its steps then no longer wait for the worker to be idle. */
    boolean overdue(long nowNanos) {
        return active() && nowNanos - startNanos >= intervalNanos;
    }

    /** The next step ran on a stable table: takes its result; the following step is due a gap later. */
    void completed(Drift drift, long nowNanos) {
        steps.removeFirst();
        found.addAll(drift.differences());
        overlaps = 0;
        done++;
        nextStepNanos = nowNanos + gapNanos;
    }

    /**
     * The next step's read overlapped a commit: its result is dropped. It is redone at once, or, after
     * {@link #MAX_REDOS} overlaps in a row, skipped to the next cycle.
     */
    void overlapped(long nowNanos) {
        if (++overlaps > MAX_REDOS) {
            steps.removeFirst();
            overlaps = 0;
            skipped++;
            nextStepNanos = nowNanos + gapNanos;
        } else {
            redone++;
            nextStepNanos = nowNanos;
        }
    }

    /** Drops the steps left (drift was found and the worker's repair reads the whole table back). */
    void abandon() {
        steps.clear();
    }

    /** What the completed steps found. */
    Drift found() {
        return new Drift(found);
    }

    long startNanos() {
        return startNanos;
    }

    int done() {
        return done;
    }

    int redone() {
        return redone;
    }

    int skipped() {
        return skipped;
    }
}
