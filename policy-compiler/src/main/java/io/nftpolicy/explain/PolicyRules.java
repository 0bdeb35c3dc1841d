package io.nftpolicy.explain;

import com.google.common.collect.LinkedHashMultimap;
import com.google.common.collect.SetMultimap;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The compiled rules of each policy: the rules of the nodes' rulesets whose provenance names it. A rule names a
 * policy through its sources (an allow, a ClusterNetworkPolicy action), through the elements of the sets it looks up
 * when it has no sources of its own (merged sets, whose elements carry them), or as an isolation drop ("isolated for ingress by ...").
 */
public final class PolicyRules {
    private static final Pattern SET_REFERENCE = Pattern.compile("@([A-Za-z0-9_.-]+)");
    private static final String INVALID = " (invalid)";

    /** A rule where {@code nft list} shows it: node, chain, 1-based position. */
    public record Placed(String node, String chain, int position, Rule rule) {}

    private PolicyRules() {}

    /** Policy reference ("ns/name", "cnp/name") to its rules, nodes in the map's order, chains in the table's. */
    public static Map<String, List<Placed>> of(Map<String, Ruleset> rulesetsByNode) {
        Map<String, List<Placed>> byPolicy = new LinkedHashMap<>();
        rulesetsByNode.forEach((node, ruleset) -> {
            SetMultimap<String, String> policiesOfSet = policiesOfSets(ruleset);
            for (Chain chain : ruleset.chains()) {
                for (int i = 0; i < chain.rules().size(); i++) {
                    Rule rule = chain.rules().get(i);
                    Placed placed = new Placed(node, chain.name(), i + 1, rule);
                    for (String policy : policies(rule, policiesOfSet)) {
                        byPolicy.computeIfAbsent(policy, p -> new ArrayList<>()).add(placed);
                    }
                }
            }
        });
        return byPolicy;
    }

    /** The policies one rule stands for, in the order it names them. */
    static Set<String> policies(Rule rule, SetMultimap<String, String> policiesOfSet) {
        Set<String> policies = new LinkedHashSet<>();
        rule.sources().forEach(s -> policies.add(s.policy()));
        // Only a rule without sources of its own (merged sets) stands for its sets' elements' sources: a peer set
        // may be shared by the rules of several policies.
        Matcher reference = SET_REFERENCE.matcher(rule.sources().isEmpty() ? rule.statement() : "");
        while (reference.find()) {
            policies.addAll(policiesOfSet.get(reference.group(1)));
        }
        for (String isolating : RulesetEvaluator.isolatedBy(rule)) {
            policies.add(withoutInvalid(isolating));
        }
        return policies;
    }

    /** A policy named by an isolation drop, without the mark of a policy that did not compile. */
    static String withoutInvalid(String policy) {
        return policy.endsWith(INVALID) ? policy.substring(0, policy.length() - INVALID.length()) : policy;
    }

    private static SetMultimap<String, String> policiesOfSets(Ruleset ruleset) {
        SetMultimap<String, String> policies = LinkedHashMultimap.create();
        for (NamedSet set : ruleset.sets()) {
            for (SetElement element : set.elements()) {
                for (Source source : element.sources()) {
                    policies.put(set.name(), source.policy());
                }
            }
        }
        return policies;
    }
}
