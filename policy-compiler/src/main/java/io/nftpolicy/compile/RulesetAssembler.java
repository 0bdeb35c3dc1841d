package io.nftpolicy.compile;

import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Lays out the table. Per packet the cost is constant, whatever the number of pods and policies:
 *
 * <pre>
 * filter-forward (hook forward, after Service DNAT in prerouting)
 *   ct state established,related accept          replies and allowed flows: first, and cheapest
 *   IPv6 neighbour discovery accept
 *   ip saddr vmap @egress-v4                      local source isolated for egress: jump to its group chain,
 *                                                 which returns when allowed (so ingress is still checked)
 *   ip daddr vmap @ingress-v4                     local destination isolated for ingress: its group chain
 *                                                 accepts when allowed, otherwise drops
 * filter-input (hook input): egress of local pods towards this node
 * group chain: one rule per peer (peer set, then a port set), at most GroupRules.MAX_RULES per family;
 *              the peers beyond that (ipBlocks first) in a merged any-port set and a merged
 *              address·protocol·port set, a lookup each; then drop
 * </pre>
 *
 * Traffic from the node to its own pods leaves through the output hook, which this table does not filter: kubelet
 * probes always pass.
 */
final class RulesetAssembler {
    static final int FILTER_PRIORITY = 0;

    /** A group's chain and the sets of its own (merged sets; none for a chain with a rule per peer). */
    record GroupChain(Chain chain, List<NamedSet> sets) {}

    private final List<NamedSet> sets = new ArrayList<>();
    private final List<Chain> groupChains = new ArrayList<>();
    private final List<VerdictMap> tierMaps = new ArrayList<>();
    private final Map<PolicyType, Map<IpFamily, List<MapElement>>> dispatch = byDirectionAndFamily();
    /** Null when the snapshot has no staged policy: then the table has no staged dispatch at all. */
    private Map<PolicyType, Map<IpFamily, List<MapElement>>> stagedDispatch;

    private static Map<PolicyType, Map<IpFamily, List<MapElement>>> byDirectionAndFamily() {
        Map<PolicyType, Map<IpFamily, List<MapElement>>> out = new EnumMap<>(PolicyType.class);
        for (PolicyType direction : PolicyType.values()) {
            Map<IpFamily, List<MapElement>> byFamily = new EnumMap<>(IpFamily.class);
            for (IpFamily family : IpFamily.values()) {
                byFamily.put(family, new ArrayList<>());
            }
            out.put(direction, byFamily);
        }
        return out;
    }

    /** The snapshot has staged policies: the table gets the staged dispatch ({@link StagedChains}), even empty. */
    void stage() {
        if (stagedDispatch == null) {
            stagedDispatch = byDirectionAndFamily();
        }
    }

    /** A staged chain ({@link StagedChains}) and the staged dispatch of its members to it. */
    void addStaged(PolicyType direction, GroupChain chain, List<MapElement> dispatchElements) {
        stage();
        groupChains.add(chain.chain());
        sets.addAll(chain.sets());
        for (MapElement e : dispatchElements) {
            stagedDispatch.get(direction).get(e.key().family()).add(e);
        }
    }

    /** The group's chain, and the dispatch of its members to it. */
    void add(PodGroup group, GroupChain chain) {
        add(group.direction, chain, dispatch(group, chain.chain().name()));
    }

    /** The group's chain, and the dispatch of its members to it as {@link #dispatch} gave it. */
    void add(PolicyType direction, GroupChain chain, List<MapElement> dispatchElements) {
        groupChains.add(chain.chain());
        if (!chain.sets().isEmpty()) {
            sets.addAll(chain.sets());
        }
        for (MapElement e : dispatchElements) {
            dispatch.get(direction).get(e.key().family()).add(e);
        }
    }

    /** An address other live pods claim too, dispatched as {@link ClusterIndex#dispatchTarget} decided. */
    void addContested(PolicyType direction, MapElement element) {
        dispatch.get(direction).get(element.key().family()).add(element);
    }

    /**
     * ClusterNetworkPolicy's dispatch ({@link io.nftpolicy.tier.TierCompiler}): each element replaces the one of
     * its address, or is added when NetworkPolicy dispatched the address nowhere.
     */
    void redirect(PolicyType direction, List<MapElement> tierDispatch) {
        Set<IpAddress> redirected = new java.util.HashSet<>();
        tierDispatch.forEach(e -> redirected.add(e.key()));
        for (List<MapElement> elements : dispatch.get(direction).values()) {
            elements.removeIf(old -> redirected.contains(old.key()));
        }
        tierDispatch.forEach(e -> dispatch.get(direction).get(e.key().family()).add(e));
    }

    /** The tier chains, their sets, and the maps of what follows the Admin tier. */
    void addTiers(List<Chain> chains, List<NamedSet> tierSets, List<VerdictMap> tierMaps) {
        groupChains.addAll(chains);
        sets.addAll(tierSets);
        this.tierMaps.addAll(tierMaps);
    }

    /**
     * The verdict map elements that send the group's members to its chain: the addresses they alone claim (see
     * {@link #addContested} for the others).
     */
    static List<MapElement> dispatch(PodGroup group, String chainName) {
        List<MapElement> elements = new ArrayList<>(group.members.size());
        for (ClusterIndex.Member member : group.members) {
            for (IpAddress address : member.dispatched()) {
                elements.add(new MapElement(address, chainName, member.ref()));
            }
        }
        return elements;
    }

    static String chainName(PodGroup group) {
        return ObjectNames.groupChain(group.direction, group.key, group.policies.get(0));
    }

    /** A chain with one rule per peer (see {@link GroupRules}). */
    static GroupChain withRules(PodGroup group, String chainName, List<Rule> allowRules) {
        return new GroupChain(chain(group, chainName, allowRules), List.of());
    }

    /**
     * A chain whose allowances are merged into per-chain sets (see {@link Allowances}), after the rules of the
     * peers that keep shared sets ({@link GroupRules}), if any.
     */
    static GroupChain merged(PodGroup group, String chainName, List<Rule> peerRules, Allowances allowances) {
        PolicyType direction = group.direction;
        boolean ingress = direction == PolicyType.INGRESS;
        String peerField = ingress ? "saddr" : "daddr";
        String verdict = ingress ? "accept" : "return";
        List<NamedSet> sets = new ArrayList<>();
        List<Rule> rules = new ArrayList<>(peerRules);
        for (IpFamily family : IpFamily.values()) {
            List<SetElement> any = allowances.anyElements(family);
            if (!any.isEmpty()) {
                String name = ObjectNames.anySet(chainName, family);
                sets.add(new NamedSet(name, List.of(addressType(family)), true,
                        direction.field() + " peers allowed on every port", any));
                rules.add(new Rule(family.nftPayload() + " " + peerField + " @" + name + " " + verdict,
                        "merged: allowed on every port", sourcesOf(any)));
            }
        }
        for (IpFamily family : IpFamily.values()) {
            List<SetElement> ports = allowances.portElements(family);
            if (!ports.isEmpty()) {
                String name = ObjectNames.portSet(chainName, family);
                sets.add(new NamedSet(name, List.of(addressType(family), KeyType.INET_PROTO, KeyType.INET_SERVICE), true,
                        direction.field() + " peer, protocol and port allowed", ports));
                rules.add(new Rule(family.nftPayload() + " " + peerField + " . meta l4proto . th dport @" + name + " "
                        + verdict, "merged: allowed on these ports", sourcesOf(ports)));
            }
        }
        return new GroupChain(chain(group, chainName, rules), List.copyOf(sets));
    }

    private static Chain chain(PodGroup group, String chainName, List<Rule> allowRules) {
        PolicyType direction = group.direction;
        String policies = group.policies.stream()
                .map(p -> p.valid() ? p.ref() : p.ref() + " (invalid)")
                .collect(Collectors.joining(", "));
        List<Rule> rules = new ArrayList<>(allowRules);
        // The mark matters only when an established flow is judged again (EstablishedFlows): its replies drop too.
        rules.add(Rule.of(EstablishedFlows.RESET, "judged again and denied: reset"));
        rules.add(new Rule(EstablishedFlows.DROP, "isolated for " + direction.field() + " by " + policies, List.of()));
        return new Chain(chainName, Optional.empty(), direction.field() + " of pods selected by " + policies, rules);
    }

    /** The table, with the shared sets of the group chains added ({@link PeerSets}), in any order. */
    Ruleset build(List<NamedSet> sharedSets) {
        List<VerdictMap> maps = new ArrayList<>();
        List<NamedSet> sortedSets = new ArrayList<>(sets);
        for (PolicyType direction : PolicyType.values()) {
            for (IpFamily family : IpFamily.values()) {
                maps.add(map(ObjectNames.dispatchMap(direction, family), family,
                        "local pods isolated for " + direction.field(), dispatch.get(direction).get(family)));
            }
        }
        if (stagedDispatch != null) {
            for (PolicyType direction : PolicyType.values()) {
                for (IpFamily family : IpFamily.values()) {
                    VerdictMap staged = map(StagedChains.dispatchMap(direction, family), family,
                            "local pods a staged policy selects for " + direction.field(),
                            stagedDispatch.get(direction).get(family));
                    maps.add(staged);
                    sortedSets.add(StagedChains.dropSet(staged, direction, family));
                }
            }
        }
        maps.addAll(tierMaps);
        List<Chain> chains = new ArrayList<>(groupChains.size() + 2);
        chains.add(stagedDispatch == null ? FORWARD : STAGED_FORWARD);
        chains.add(stagedDispatch == null ? INPUT : STAGED_INPUT);
        List<Chain> sortedGroups = new ArrayList<>(groupChains);
        sortedGroups.sort(Comparator.comparing(Chain::name));
        chains.addAll(sortedGroups);
        sortedSets.addAll(sharedSets);
        sortedSets.sort(Comparator.comparing(NamedSet::name));
        return new Ruleset(Ruleset.FAMILY, Ruleset.TABLE, "Kubernetes NetworkPolicy, compiled by nftpolicy",
                sortedSets, maps, chains);
    }

    /** The base chains never change: one instance each, the same in every ruleset. */
    private static final Chain FORWARD = baseChain(ObjectNames.FORWARD_CHAIN, "forward",
            "pod traffic crossing this node: egress of local pods, then ingress of local pods", false,
            PolicyType.EGRESS, PolicyType.INGRESS);
    private static final Chain INPUT = baseChain(ObjectNames.INPUT_CHAIN, "input",
            "traffic from local pods to this node: their egress policy applies", false, PolicyType.EGRESS);

    /** With staged policies: their dispatch comes first, and comes back (every staged rule returns). */
    private static final Chain STAGED_FORWARD = baseChain(ObjectNames.FORWARD_CHAIN, "forward", FORWARD.comment(),
            true, PolicyType.EGRESS, PolicyType.INGRESS);
    private static final Chain STAGED_INPUT = baseChain(ObjectNames.INPUT_CHAIN, "input", INPUT.comment(), true,
            PolicyType.EGRESS);

    /**
     * A base chain at {@code hook}: established flows and neighbour discovery first, then the dispatch of each
     * direction, IPv4 then IPv6; with {@code staged}, the staged dispatch of the same directions before it.
     */
    private static Chain baseChain(String name, String hook, String comment, boolean staged,
                                   PolicyType... directions) {
        List<Rule> rules = new ArrayList<>(List.of(established(), neighbourDiscovery()));
        if (staged) {
            for (PolicyType direction : directions) {
                for (IpFamily family : IpFamily.values()) {
                    rules.add(stagedDispatchRule(direction, family));
                }
            }
        }
        for (PolicyType direction : directions) {
            for (IpFamily family : IpFamily.values()) {
                rules.add(dispatchRule(direction, family));
            }
        }
        return new Chain(name, Optional.of(new BaseHook(hook, FILTER_PRIORITY)), comment, rules);
    }

    static final String ESTABLISHED = "ct state established,related accept";

    private static Rule established() {
        return Rule.of(ESTABLISHED, "replies and flows already allowed");
    }

    private static Rule neighbourDiscovery() {
        return Rule.of("icmpv6 type { nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert, "
                + "nd-redirect } accept", "IPv6 neighbour discovery");
    }

    private static Rule dispatchRule(PolicyType direction, IpFamily family) {
        return dispatchRule(direction, family, ObjectNames.dispatchMap(direction, family), "of isolated local pods");
    }

    private static Rule stagedDispatchRule(PolicyType direction, IpFamily family) {
        return dispatchRule(direction, family, StagedChains.dispatchMap(direction, family),
                "of local pods a staged policy selects: counted, then back here");
    }

    /** Sends the local pod's packets (by source on egress, destination on ingress) to {@code map}'s verdict. */
    private static Rule dispatchRule(PolicyType direction, IpFamily family, String map, String whose) {
        String field = direction == PolicyType.INGRESS ? "daddr" : "saddr";
        return Rule.of(family.nftPayload() + " " + field + " vmap @" + map, direction.field() + " " + whose);
    }

    private static VerdictMap map(String name, IpFamily family, String comment,
                                                       List<MapElement> unsorted) {
        List<MapElement> elements = new ArrayList<>(unsorted);
        elements.sort(null);
        return new VerdictMap(name, addressType(family), comment, elements);
    }

    private static KeyType addressType(IpFamily family) {
        return PeerSets.addressType(family);
    }

    private static List<Source> sourcesOf(List<SetElement> elements) {
        TreeSet<Source> all = new TreeSet<>();
        // Cells with the same sources share one list (Allowances): each list is looked at once.
        Set<List<Source>> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (SetElement e : elements) {
            if (seen.add(e.sources())) {
                all.addAll(e.sources());
            }
        }
        return List.copyOf(all);
    }
}
