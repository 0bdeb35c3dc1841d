package io.nftpolicy.tier;

import io.nftpolicy.policy.PolicyType;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The provenance comment of a ClusterNetworkPolicy rule in the table, e.g. {@code cnp/guard-x ingress[1] (Deny)
 * Admin[10]}, and its reading back, which explain uses to name tier, policy, priority and rule.
 *
 * @param priority -1 for a policy that failed closed before every Admin policy (its tier or priority is invalid)
 */
public record TierComment(String policy, PolicyType direction, int rule, String action, String tier, int priority) {
    private static final Pattern FORMAT = Pattern.compile(
            "cnp/(\\S+) (ingress|egress)\\[(\\d+)] \\((Accept|Deny|Pass)\\) (Admin|Baseline)\\[(-?\\d+)]");

    /** The comment as the compiler writes it. */
    public String text() {
        return "cnp/" + policy + " " + direction.field() + "[" + rule + "] (" + action + ") " + tier + "[" + priority
                + "]";
    }

    /** e.g. {@code Admin guard-x[10] ingress[1] Deny, before NetworkPolicy}. */
    public String describe() {
        String place = tier.equals("Admin")
                ? (action.equals("Pass") ? ", handing over to NetworkPolicy and Baseline" : ", before NetworkPolicy")
                : (action.equals("Pass") ? ", handing over to the default (allow)" : ", NetworkPolicy not isolating");
        return tier + " " + policy + "[" + priority + "] " + direction.field() + "[" + rule + "] " + action + place;
    }

    public static Optional<TierComment> parse(String comment) {
        Matcher m = FORMAT.matcher(comment);
        if (!m.matches()) {
            return Optional.empty();
        }
        return Optional.of(new TierComment(m.group(1), m.group(2).equals("ingress") ? PolicyType.INGRESS
                : PolicyType.EGRESS, Integer.parseInt(m.group(3)), m.group(4), m.group(5), Integer.parseInt(m.group(6))));
    }
}
