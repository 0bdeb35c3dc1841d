package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.ruleset.Ruleset;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The backend's entry point: brings the kernel's {@code inet nftpolicy} table to a desired ruleset, one nftables
 * transaction per change, sending only the difference from what it last committed ({@link RulesetDiff}). The
 * table and its base chains are never deleted or recreated, so there is never a moment without filtering.
 *
 * <p>State. The applier keeps the last ruleset it committed. When it has none (first use in this process, after a
 * failure, or after {@link #forgetCommittedState()}), {@link #apply} first reads the table back: no table means a
 * full creation; a table means a diff against what the kernel really holds, so an agent restart or a drift repair
 * sends only what differs and never flushes the table.
 *
 * <p>Failure. When the kernel refuses a transaction, nothing of it was applied (all or nothing), and the
 * {@link ApplyException} carries libnftables' error text and the failing command. The applier then forgets its
 * committed state, so the next {@code apply} reads the table back and re-synchronises in full against the
 * kernel's actual contents (still as a difference, in one transaction).
 *
 * <p>Cold start. When there is no table and the creation exceeds {@link Options#coldStartMaxOperations()}, it is
 * sent as several transactions ({@link Transaction#splitForColdStart}): declarations and set elements first, then
 * chains with their rules, and dispatch-map elements last, a pod's elements together. So a pod's jump is only ever
 * committed once its chain and every set are complete: no isolated pod is partially filtered. If a later one of
 * these transactions fails, the earlier ones stay; the state is unknown and the next apply completes the table from
 * what it reads back.
 *
 * <p>Thread-safe (calls are serialised); the executor is only used from inside these calls.
 */
public final class RulesetApplier {
    /** Default bound of one cold-start transaction, in operations (kube-proxy chunks at about 1,000). */
    public static final int DEFAULT_COLD_START_MAX_OPERATIONS = 2000;

    /**
     * @param coldStartMaxOperations     most operations per transaction when creating the table from nothing
     * @param rewriteChainsAfterReadBack after a read-back, flush and refill every chain even when its rule digests
     *                                   agree, as kube-proxy's full sync does. Off by default: a
     *                                   {@link io.nftpolicy.backend.kernel.RuleDigest} covers a rule's comment,
     *                                   sets, verdict and inline literals (its port list), which is everything the
     *                                   compiler varies; what it cannot see is a hand edit of a match expression
     *                                   itself (say saddr turned into daddr) that keeps all of those
     */
    public record Options(int coldStartMaxOperations, boolean rewriteChainsAfterReadBack) {
        public Options {
            if (coldStartMaxOperations < 1) {
                throw new IllegalArgumentException("coldStartMaxOperations must be positive: " + coldStartMaxOperations);
            }
        }

        public static Options defaults() {
            return new Options(DEFAULT_COLD_START_MAX_OPERATIONS, false);
        }

        public Options withColdStartMaxOperations(int max) {
            return new Options(max, rewriteChainsAfterReadBack);
        }

        public Options withRewriteChainsAfterReadBack(boolean rewrite) {
            return new Options(coldStartMaxOperations, rewrite);
        }
    }

    private final NftExecutor executor;
    private final Options options;
    /** What the kernel holds as far as we know; null when unknown (the next apply reads back). */
    private TableState committed;

    public RulesetApplier(NftExecutor executor) {
        this(executor, Options.defaults());
    }

    public RulesetApplier(NftExecutor executor, Options options) {
        this.executor = Objects.requireNonNull(executor, "executor");
        this.options = Objects.requireNonNull(options, "options");
    }

    /**
     * Makes the kernel's table equal to {@code desired}.
     *
     * @throws ApplyException when the table cannot be read back or the kernel refuses a transaction; the committed
     *                        state is then unknown and the next call reads the table back (a full re-sync)
     */
    public synchronized ApplyResult apply(Ruleset desired) throws ApplyException {
        Objects.requireNonNull(desired, "desired");
        long start = System.nanoTime();
        // From the read-back to the last transaction: another apply in between would make the diff a lie.
        try (NftExecutor.Hold held = executor.lockTable()) {
            return applyHeld(desired, start);
        }
    }

    private ApplyResult applyHeld(Ruleset desired, long start) throws ApplyException {
        boolean readBack = committed == null;
        TableState base = readBack ? TableState.readBack(executor.readBack()) : committed;
        RulesetDiff.checkTable(desired);
        boolean rewrite = readBack && options.rewriteChainsAfterReadBack();
        OptionalInt generation = base.generation();
        if (EstablishedFlows.generation(desired).isPresent()) {
            desired = EstablishedFlows.withGeneration(desired, generation.orElseGet(RulesetApplier::freshGeneration));
        }
        // Built once: what the diff compares with, and what is committed after. It takes over unchanged sets, maps
        // and chains from the base, so that the diff and the next one skip them.
        TableState next = committedState(desired, base, readBack);
        Transaction tx = RulesetDiff.between(base, next, desired, rewrite);
        if (tx.isEmpty()) {
            committed = next;
            return new ApplyResult(ApplyResult.Kind.NO_OP, readBack, Transaction.Counts.NONE, 0, 0, 0,
                    System.nanoTime() - start, desired);
        }
        if (generation.isPresent() && EstablishedFlows.generation(desired).isPresent()) {
            // The rules change: every flow judged by the old ones is judged again by its next packet, in the same
            // transaction that brings the new rules in.
            desired = EstablishedFlows.withGeneration(desired, EstablishedFlows.next(generation.getAsInt()));
            next = committedState(desired, base, readBack);
            tx = RulesetDiff.between(base, next, desired, rewrite);
        }
        List<Transaction> transactions = !base.tablePresent() && tx.operations() > options.coldStartMaxOperations()
                ? tx.splitForColdStart(options.coldStartMaxOperations())
                : base.tablePresent() ? tx.splitNewObjectsFirst().orElse(List.of(tx)) : List.of(tx);
        committed = null;
        long bytes = 0;
        int done = 0;
        for (Transaction t : transactions) {
            bytes += t.renderedBytes();
            try {
                executor.run(t);
            } catch (ApplyException e) {
                String which = transactions.size() == 1 ? "transaction"
                        : "transaction " + (done + 1) + " of " + transactions.size();
                ApplyException refused = new ApplyException("applying table " + Ruleset.FAMILY + " "
                        + Ruleset.TABLE + ": the kernel refused the " + which + " (" + t.operations()
                        + " operations); the next apply reads the table back", e.nftError(),
                        e.failingCommand().orElse(null));
                refused.initCause(e);
                throw refused;
            }
            done++;
        }
        committed = next;
        return new ApplyResult(base.tablePresent() ? ApplyResult.Kind.INCREMENTAL : ApplyResult.Kind.FULL, readBack,
                tx.counts(), tx.operations(), bytes, transactions.size(), System.nanoTime() - start, desired);
    }

    /** After a read-back, rules are compared by their whole expression, as the kernel lists them. */
    private TableState committedState(Ruleset desired, TableState base, boolean readBack) throws ApplyException {
        return readBack ? TableState.committed(desired, base, executor.ruleExpressions(desired))
                : TableState.committed(desired, base);
    }

    /**
     * The first generation of a table that has none. Flows of an earlier table of ours (deleted, or kept flows) may
     * still carry a stamp; a generation taken from the clock is unlikely to equal theirs, so they are judged again.
     */
    private static int freshGeneration() {
        return (int) (System.currentTimeMillis() / 1000 % EstablishedFlows.MAX_GENERATION) + 1;
    }

    /**
     * Reads the table back and lists how it differs from {@code desired}. When it differs, the applier forgets its
     * committed state, so that the next {@link #apply} reads the table back and repairs exactly the drift; when it
     * agrees, nothing changes.
     */
    public synchronized Drift verify(Ruleset desired) throws ApplyException {
        Objects.requireNonNull(desired, "desired");
        Optional<KernelTable> table;
        try (NftExecutor.Hold held = executor.lockTable()) {
            table = executor.readBack(); // not half-way through another apply's split transactions
        }
        TableState actual = TableState.readBack(table);
        desired = Drift.withKernelGeneration(actual, desired);
        Drift drift = Drift.between(actual, desired, executor.ruleExpressions(desired));
        if (!drift.isEmpty()) {
            committed = null;
        }
        return drift;
    }

    /**
     * Forgets what was committed: the next {@link #apply} reads the table back and diffs against it, which repairs
     * any drift (for the agent's periodic drift check).
     */
    public synchronized void forgetCommittedState() {
        committed = null;
    }

    /** Whether the applier knows what the kernel holds (false before the first apply and after a failure). */
    public synchronized boolean knowsCommittedState() {
        return committed != null;
    }
}
