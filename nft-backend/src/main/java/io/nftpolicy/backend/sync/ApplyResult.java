package io.nftpolicy.backend.sync;

import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.ruleset.Ruleset;
import java.util.OptionalInt;

/**
 * What one {@link RulesetApplier#apply} did.
 *
 * @param kind          full (the table was created), incremental (a difference was sent) or no-op
 * @param readBack      whether the kernel's table was read back first (first apply, or the state was unknown)
 * @param counts        what the transactions did, summed
 * @param operations    operations sent (knftables' NumOperations: one per element, rule or other object)
 * @param bytes         size of the nft text sent, in bytes
 * @param transactions  number of transactions (more than one only for a large cold start)
 * @param durationNanos from the call to the last commit, read-back included
 * @param committed     the ruleset the kernel now holds: the one asked for, with the ruleset generation it stamps
 *                      flows with ({@link io.nftpolicy.compile.EstablishedFlows}) when it has one
 */
public record ApplyResult(Kind kind, boolean readBack, Transaction.Counts counts, int operations, long bytes,
                          int transactions, long durationNanos, Ruleset committed) {

    /** The generation the kernel's table stamps flows with; empty when it keeps established flows. */
    public OptionalInt generation() {
        return EstablishedFlows.generation(committed);
    }

    public enum Kind {
        FULL,
        INCREMENTAL,
        NO_OP
    }

    @Override
    public String toString() {
        Transaction.Counts c = counts;
        return kind.name().toLowerCase().replace('_', '-') + (readBack ? " after read-back" : "") + ": "
                + operations + " operations in " + transactions + " transaction(s), " + bytes + " bytes, "
                + String.format("%.1f ms", durationNanos / 1e6) + " (elements +" + c.elementsAdded() + " -"
                + c.elementsRemoved() + ", sets +" + c.setsAdded() + " -" + c.setsRemoved() + ", chains +"
                + c.chainsAdded() + " ~" + c.chainsChanged() + " -" + c.chainsRemoved() + ", rules "
                + c.rulesWritten() + ")";
    }
}
