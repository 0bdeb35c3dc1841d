package io.nftpolicy.ruleset;

import io.nftpolicy.policy.PolicyType;
import java.util.Comparator;
import java.util.Objects;

/**
 * Where an allowance came from: a policy, one of its rules and one peer of that rule. This is what an auditor
 * follows from a kernel element back to the object a user applied.
 *
 * @param policy namespace/name of the NetworkPolicy
 * @param rule   index in spec.ingress or spec.egress
 * @param peer   index in the rule's from/to list, or -1 when the rule has no peers (all peers)
 */
public record Source(String policy, PolicyType direction, int rule, int peer) implements Comparable<Source> {
    private static final Comparator<Source> ORDER = Comparator.comparing(Source::policy)
            .thenComparing(Source::direction)
            .thenComparingInt(Source::rule)
            .thenComparingInt(Source::peer);

    public Source {
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(direction, "direction");
    }

    /** e.g. {@code dev/db-access ingress[0].from[1]}. */
    @Override
    public String toString() {
        String base = policy + " " + direction.field() + "[" + rule + "]";
        return peer < 0 ? base : base + "." + direction.peersField() + "[" + peer + "]";
    }

    @Override
    public int compareTo(Source o) {
        return ORDER.compare(this, o);
    }
}
