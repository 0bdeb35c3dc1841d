package io.nftpolicy.stats;

import com.google.common.collect.MultimapBuilder;
import com.google.common.collect.SetMultimap;
import io.nftpolicy.compile.RuleCounters;
import io.nftpolicy.compile.StagedChains;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Attributes counters read from a node to the provenance the compiled ruleset gives them: an allow rule's counter
 * to every policy peer the rule names (summed over the group chains that name it), a counting set's element to
 * its pod, with the policies that isolate the pod in that direction.
 *
 * <p>Kernel rules are matched to the model's by position in their chain. A chain whose rule count differs from the
 * model (the table drifted, or was applied from another snapshot) is left out, with a warning.
 */
public final class PolicyCounters {

    /**
     * The attributed counters, and what could not be attributed.
     *
     * @param wouldAccept what staged policies would allow, per staged policy peer
     * @param wouldDrop   what staged policies would drop, per staged policy, pod and direction
     */
    public record Report(List<AcceptCount> accepts, List<DropCount> drops, List<StagedAcceptCount> wouldAccept,
                         List<StagedDropCount> wouldDrop, List<String> warnings) {
        public Report {
            accepts = List.copyOf(accepts);
            drops = List.copyOf(drops);
            wouldAccept = List.copyOf(wouldAccept);
            wouldDrop = List.copyOf(wouldDrop);
            warnings = List.copyOf(warnings);
        }
    }

    private PolicyCounters() {}

    public static Report attribute(Ruleset ruleset, CounterReadings readings) {
        List<String> warnings = new ArrayList<>();
        Map<Source, Count> bySource = new TreeMap<>();
        SetMultimap<Source, String> shared = MultimapBuilder.hashKeys().treeSetValues().build();
        Map<Source, Count> wouldAccept = new TreeMap<>();
        Map<String, Chain> chains = new HashMap<>();
        for (Chain chain : ruleset.chains()) {
            chains.put(chain.name(), chain);
            if (StagedChains.isStagedChain(chain)) {
                List<Optional<Count>> kernel = kernelRules(chain, readings, warnings);
                List<String> staged = StagedChains.stagedPolicies(chain);
                for (int i = 0; kernel != null && i < kernel.size(); i++) {
                    Rule rule = chain.rules().get(i);
                    if (StagedChains.isWouldAllow(rule) && kernel.get(i).isPresent()) {
                        Count count = kernel.get(i).get();
                        rule.sources().stream().filter(s -> staged.contains(s.policy()))
                                .forEach(s -> wouldAccept.merge(s, count, Count::plus));
                    }
                }
                continue;
            }
            if (!RuleCounters.isGroupChain(chain)) {
                continue;
            }
            List<Optional<Count>> kernel = kernelRules(chain, readings, warnings);
            if (kernel == null) {
                continue;
            }
            for (int i = 0; i < kernel.size(); i++) {
                Rule rule = chain.rules().get(i);
                if (!RuleCounters.isCountedAllow(rule) || kernel.get(i).isEmpty()) {
                    continue;
                }
                Count count = kernel.get(i).get();
                for (Source source : rule.sources()) {
                    bySource.merge(source, count, Count::plus);
                    rule.sources().stream().filter(s -> !s.equals(source))
                            .forEach(other -> shared.put(source, other.toString()));
                }
            }
        }
        List<AcceptCount> accepts = new ArrayList<>();
        bySource.forEach((source, count) -> accepts.add(new AcceptCount(source.policy(), source.direction(),
                ruleOf(source), count.packets(), count.bytes(), List.copyOf(shared.get(source)))));
        List<StagedAcceptCount> staged = new ArrayList<>();
        wouldAccept.forEach((source, count) -> staged.add(new StagedAcceptCount(source.policy(), source.direction(),
                ruleOf(source), count.packets(), count.bytes())));
        return new Report(accepts, drops(ruleset, readings, chains), staged, wouldDrop(ruleset, readings, chains),
                warnings);
    }

    /** The chain's rule counters as the kernel holds them, or null (with a warning) when they cannot be matched. */
    private static List<Optional<Count>> kernelRules(Chain chain, CounterReadings readings, List<String> warnings) {
        List<Optional<Count>> kernel = readings.chains().get(chain.name());
        if (kernel == null) {
            warnings.add("chain " + chain.name() + " is not in the kernel's table: its counters are left out");
            return null;
        }
        if (kernel.size() != chain.rules().size()) {
            warnings.add("chain " + chain.name() + " has " + kernel.size() + " rules in the kernel, "
                    + chain.rules().size() + " in the compiled ruleset: its counters are left out");
            return null;
        }
        return kernel;
    }

    /** Per staged policy, pod and direction: the pod's element of the staged counting set. */
    private static List<StagedDropCount> wouldDrop(Ruleset ruleset, CounterReadings readings,
                                                   Map<String, Chain> chains) {
        record Key(String policy, String pod, PolicyType direction) {}
        Map<Key, Count> counts = new java.util.LinkedHashMap<>();
        Map<Key, List<String>> isolatedBy = new HashMap<>();
        for (PolicyType direction : PolicyType.values()) {
            for (IpFamily family : IpFamily.values()) {
                String mapName = StagedChains.dispatchMap(direction, family);
                Map<IpAddress, Count> kernel = readings.elements().getOrDefault(StagedChains.dropSet(direction, family),
                        Map.of());
                for (VerdictMap map : ruleset.maps()) {
                    if (!map.name().equals(mapName)) {
                        continue;
                    }
                    for (MapElement element : map.elements()) {
                        Chain chain = chains.get(element.chain());
                        if (chain == null) {
                            continue;
                        }
                        for (String policy : StagedChains.stagedPolicies(chain)) {
                            Key key = new Key(policy, element.comment(), direction);
                            counts.merge(key, kernel.getOrDefault(element.key(), Count.ZERO), Count::plus);
                            isolatedBy.putIfAbsent(key, StagedChains.allPolicies(chain));
                        }
                    }
                }
            }
        }
        List<StagedDropCount> out = new ArrayList<>();
        counts.forEach((key, count) -> out.add(new StagedDropCount(key.policy(), key.pod(), key.direction(),
                isolatedBy.get(key), count.packets(), count.bytes())));
        out.sort(java.util.Comparator.comparing(StagedDropCount::policy).thenComparing(StagedDropCount::pod)
                .thenComparing(StagedDropCount::direction));
        return out;
    }

    private static List<DropCount> drops(Ruleset ruleset, CounterReadings readings, Map<String, Chain> chains) {
        record PodDirection(String pod, PolicyType direction) implements Comparable<PodDirection> {
            @Override
            public int compareTo(PodDirection o) {
                int c = pod.compareTo(o.pod);
                return c != 0 ? c : direction.compareTo(o.direction);
            }
        }
        Map<PodDirection, Count> counts = new TreeMap<>();
        Map<PodDirection, List<String>> isolatedBy = new HashMap<>();
        for (PolicyType direction : PolicyType.values()) {
            for (IpFamily family : IpFamily.values()) {
                String mapName = RuleCounters.dispatchMap(direction, family);
                Optional<VerdictMap> map = ruleset.maps().stream().filter(m -> m.name().equals(mapName)).findFirst();
                Map<IpAddress, Count> kernel = readings.elements().getOrDefault(RuleCounters.dropSet(direction, family),
                        Map.of());
                for (MapElement element : map.map(VerdictMap::elements).orElse(List.of())) {
                    PodDirection key = new PodDirection(element.comment(), direction);
                    counts.merge(key, kernel.getOrDefault(element.key(), Count.ZERO), Count::plus);
                    isolatedBy.putIfAbsent(key, isolating(chains, element.chain()));
                }
            }
        }
        List<DropCount> drops = new ArrayList<>();
        counts.forEach((key, count) -> drops.add(new DropCount(key.pod(), key.direction(), isolatedBy.get(key),
                count.packets(), count.bytes())));
        return drops;
    }

    /** The policies whose chain drops for this dispatch target (a tier chain hands undecided traffic to it). */
    private static List<String> isolating(Map<String, Chain> chains, String target) {
        Chain chain = chains.get(target);
        if (chain != null && !RuleCounters.isGroupChain(chain)) {
            chain = RuleCounters.gotoTarget(chain).map(chains::get).orElse(null);
        }
        if (chain == null) {
            return List.of();
        }
        return chain.rules().stream().filter(RuleCounters::isIsolationDrop).findFirst()
                .map(RuleCounters::isolatingPolicies).orElse(List.of());
    }

    /** {@code ingress[0].from[1]}: the source without its policy. */
    static String ruleOf(Source source) {
        return source.toString().substring(source.policy().length() + 1);
    }
}
