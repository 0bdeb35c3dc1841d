package io.nftpolicy.tier;

import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The provenance comment of a ClusterNetworkPolicy rule in the table, e.g. {@code cnp/guard-x ingress[1] (Deny)
 * Admin[10]}, and its reading back, which explain uses to name tier, policy, priority and rule. A rule that looks up
 * a run of rules of one action ({@link TierRuns}) lists them all in order, separated by {@code "; "}.
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

    /**
     * The rule that decided, read from the comment of the table rule that matched: the only one, or for a run the
     * first (in evaluation order) of those that the matched element names among its sources.
     */
    public static Optional<TierComment> decided(String ruleComment, List<Source> elementSources) {
        List<TierComment> run = parseAll(ruleComment);
        for (TierComment c : run) {
            if (elementSources.stream().anyMatch(c::names)) {
                return Optional.of(c);
            }
        }
        return run.stream().findFirst();
    }

    /** Every rule a table rule's comment names, in order; empty when it is not a tier rule's comment. */
    public static List<TierComment> parseAll(String comment) {
        List<TierComment> out = new ArrayList<>();
        for (String part : comment.split("; ")) {
            Optional<TierComment> one = parse(part);
            if (one.isEmpty()) {
                return List.of();
            }
            out.add(one.get());
        }
        return out;
    }

    private boolean names(Source source) {
        return source.policy().equals("cnp/" + policy) && source.direction() == direction && source.rule() == rule;
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
