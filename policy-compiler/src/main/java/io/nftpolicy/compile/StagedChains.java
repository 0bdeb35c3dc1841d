package io.nftpolicy.compile;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Staged policies (annotated {@code nftpolicy.io/staged: "true"}): what they would allow and deny, counted, with no
 * verdict changed (docs/ruleset.md, "Staged policies").
 *
 * <p>A local pod that a staged policy selects in a direction gets, in that direction, a <em>staged chain</em> of
 * its own group: the chain the compiler would build if its staged policies were enforced along with the enforced
 * ones that select it. The base chain reaches it through a {@code staged-…} dispatch map before the enforced
 * dispatch, with {@code jump}, and every rule of it ends in {@code return}: an allow rule counts ("would allow",
 * attributed to its sources), the isolation drop becomes a lookup of the pod in a counting set ("would deny", per pod
 * and direction) that returns too. So the packet goes on to the enforced dispatch exactly as without the staged
 * chain. A pod no staged policy selects has no staged element, and a table without staged policies has none of
 * this: its cost per packet is unchanged.
 */
public final class StagedChains {
    /** Staged chains are named {@code stg-} and the name their group's enforced chain would have. */
    public static final String CHAIN_PREFIX = "stg-";
    private static final String MAP_PREFIX = "staged-";
    private static final String DROP_SET_PREFIX = "staged-drops-";
    private static final String STAGED_MARK = " (staged)";
    private static final String INVALID_MARK = " (invalid)";
    private static final String COMMENT_PREFIX = "staged: ";
    /** The comment of a staged chain's counting lookup, before the policies. */
    public static final String WOULD_ISOLATE = "would isolate for ";
    private static final Pattern VERDICT = Pattern.compile(" (accept|return)$");

    private StagedChains() {}

    /** The verdict map that dispatches local pods selected by a staged policy in {@code direction}. */
    public static String dispatchMap(PolicyType direction, IpFamily family) {
        return MAP_PREFIX + ObjectNames.dispatchMap(direction, family);
    }

    /** The set counting, per pod, what staged policies would drop in {@code direction}. */
    public static String dropSet(PolicyType direction, IpFamily family) {
        return DROP_SET_PREFIX + direction.field() + "-" + family.suffix();
    }

    public static boolean isStagedChain(Chain chain) {
        return chain.hook().isEmpty() && chain.name().startsWith(CHAIN_PREFIX);
    }

    /** Whether the rule is a staged chain's "would deny" lookup. */
    public static boolean isWouldDeny(Rule rule) {
        return rule.comment().startsWith(WOULD_ISOLATE);
    }

    /** Whether the rule is a staged chain's "would allow" rule. */
    public static boolean isWouldAllow(Rule rule) {
        return !rule.sources().isEmpty() && rule.statement().endsWith(" counter return");
    }

    /** The direction of a staged chain. */
    public static PolicyType direction(Chain staged) {
        return staged.name().startsWith(CHAIN_PREFIX + "ing-") ? PolicyType.INGRESS : PolicyType.EGRESS;
    }

    /**
     * The staged policies (namespace/name) of a staged chain, from its comment ({@code staged: ingress of pods
     * selected by a/b (staged), c/d}): those a report names, the enforced ones being counted by their own chains.
     */
    public static List<String> stagedPolicies(Chain staged) {
        return policies(staged.comment()).stream().filter(p -> p.endsWith(STAGED_MARK))
                .map(p -> p.substring(0, p.length() - STAGED_MARK.length())).toList();
    }

    /** Every policy (namespace/name) a staged chain's comment names, staged or not. */
    public static List<String> allPolicies(Chain staged) {
        return policies(staged.comment()).stream()
                .map(p -> p.endsWith(STAGED_MARK) ? p.substring(0, p.length() - STAGED_MARK.length()) : p).toList();
    }

    private static List<String> policies(String comment) {
        int by = comment.indexOf(" by ");
        if (!comment.startsWith(COMMENT_PREFIX) || by < 0) {
            return List.of();
        }
        return Arrays.stream(comment.substring(by + 4).split(", "))
                .map(p -> p.endsWith(INVALID_MARK) ? p.substring(0, p.length() - INVALID_MARK.length()) : p)
                .filter(p -> !p.isBlank())
                .toList();
    }

    static String chainName(PodGroup group) {
        return CHAIN_PREFIX + RulesetAssembler.chainName(group);
    }

    /**
     * The staged form of a group chain compiled for the staged and enforced policies of the group: allow rules
     * count and return, the reset of a re-judged flow goes, and the drop becomes the counting lookup.
     *
     * @param staged the namespace/name of every staged policy
     */
    static RulesetAssembler.GroupChain of(PodGroup group, RulesetAssembler.GroupChain compiled, Set<String> staged) {
        String policies = group.policies.stream()
                .map(p -> p.ref() + (staged.contains(p.ref()) ? STAGED_MARK : "") + (p.valid() ? "" : INVALID_MARK))
                .collect(Collectors.joining(", "));
        String field = group.direction == PolicyType.INGRESS ? "daddr" : "saddr";
        List<Rule> rules = new ArrayList<>(compiled.chain().rules().size() + 1);
        for (Rule rule : compiled.chain().rules()) {
            if (rule.statement().equals(EstablishedFlows.RESET)) {
                continue;
            }
            if (rule.statement().equals(EstablishedFlows.DROP)) {
                for (IpFamily family : IpFamily.values()) {
                    rules.add(Rule.of(family.nftPayload() + " " + field + " @" + dropSet(group.direction, family)
                            + " return", WOULD_ISOLATE + group.direction.field() + " by " + policies));
                }
                continue;
            }
            if (!VERDICT.matcher(rule.statement()).find()) {
                throw new IllegalStateException("staged chain " + compiled.chain().name() + ": a rule without accept"
                        + " or return cannot be staged: " + rule.statement());
            }
            rules.add(new Rule(VERDICT.matcher(rule.statement()).replaceFirst(" counter return"), rule.comment(),
                    rule.sources()));
        }
        Chain chain = new Chain(compiled.chain().name(), compiled.chain().hook(),
                COMMENT_PREFIX + group.direction.field() + " of pods selected by " + policies, rules);
        return new RulesetAssembler.GroupChain(chain, compiled.sets());
    }

    /** The counting set of the pods a staged dispatch map holds, each element named after its pod. */
    static NamedSet dropSet(VerdictMap dispatch, PolicyType direction, IpFamily family) {
        return RuleCounters.countingSet(dropSet(direction, family), dispatch, family,
                "what staged policies would drop of local pods' " + direction.field() + ", counted per pod");
    }
}
