package io.nftpolicy.explain;

import java.util.Optional;

/**
 * What a node's kernel counted for each rule of its table, when the counts were read from it: the optional input of
 * the audit report ({@link AuditReport}), which shows them next to each policy's rules. Offline, from a snapshot
 * alone, there are none ({@link #NONE}).
 *
 * <p>Rules are named as explain names them: node, chain, and 1-based position in the chain, as {@code nft list}
 * orders them. Whoever reads the kernel's counters (by rule handle) maps them to positions; the compiled ruleset
 * and the kernel's table list a chain's rules in the same order when {@code nftpolicy verify} finds them in sync.
 */
public interface RuleCounters {
    /** No counts: the report was made from a snapshot alone. */
    RuleCounters NONE = new RuleCounters() {
        @Override
        public String origin() {
            return "";
        }

        @Override
        public Optional<Count> count(String node, String chain, int position) {
            return Optional.empty();
        }
    };

    /** Where and when the counts were read, for the report's heading; empty when there are none. */
    String origin();

    /** The counts of one rule, when they were read from its node. */
    Optional<Count> count(String node, String chain, int position);

    /** Packets and bytes a rule matched since it was created. */
    record Count(long packets, long bytes) {}
}
