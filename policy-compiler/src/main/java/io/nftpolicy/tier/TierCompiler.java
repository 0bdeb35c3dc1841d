package io.nftpolicy.tier;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Node;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.ObjectNames;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.selector.Selector;
import io.nftpolicy.tier.TierPolicy.Action;
import io.nftpolicy.tier.TierPolicy.NamedPort;
import io.nftpolicy.tier.TierPolicy.NumberedPort;
import io.nftpolicy.tier.TierPolicy.TierPeer;
import io.nftpolicy.tier.TierPolicy.TierRule;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compiles ClusterNetworkPolicy's tiers for one node, next to the NetworkPolicy chains of the same table.
 *
 * <p>Per direction, each local pod that some Admin policy selects (or some Baseline policy, when NetworkPolicy does
 * not isolate it in that direction) is dispatched to a <em>tier chain</em> instead of its NetworkPolicy chain. Pods
 * that the same policies select, and that share one NetworkPolicy chain, share a tier chain. It reads, in order:
 * <pre>
 * the Admin policies' rules, by priority, then name, then rule order:
 *     peer set [ports] accept|return|jump cnp-deny|goto (Pass)
 * goto NETWORKPOLICY-CHAIN           when NetworkPolicy isolates the pod in this direction
 * or the Baseline policies' rules, the same way (Pass: allowed), then accept|return
 * </pre>
 * An Accept ends the direction: {@code accept} for ingress, {@code return} for egress, so that the destination's
 * ingress is still checked. A Deny jumps to {@code cnp-deny}, which ends like every NetworkPolicy chain (a
 * re-checked established TCP flow is reset, then the flow is marked denied and dropped), so established flows and
 * fail-closed mode behave as for NetworkPolicy. An Admin Pass goes to the NetworkPolicy chain (which decides and
 * returns to the base chain), or to the Baseline part.
 *
 * <p>The API's first-match order across policies forces these rules to be ordered: a packet costs one rule per
 * (rule, peer, family, port form) of the policies before the one that decides, not a constant. Peers and ports
 * are named sets shared by every chain that names the same peer, so pods coming and going change elements only.
 *
 * <p>Ties: policies of one tier and priority are evaluated in name order.
 */
public final class TierCompiler {
    public static final String DENY_CHAIN = "cnp-deny";
    private static final Comparator<TierPolicy> ORDER = Comparator.comparing(TierPolicy::tier)
            .thenComparingInt(TierPolicy::priority).thenComparing(TierPolicy::name);

    /** A local pod, its addresses dispatched by the table, and its NetworkPolicy chain in the direction, or null. */
    public record LocalPod(Pod pod, List<IpAddress> addresses, String networkPolicyChain) {}

    private final List<TierPolicy> policies = new ArrayList<>();
    private final Map<String, Map<String, String>> namespaceLabels = new TreeMap<>();
    private final List<Pod> pods;
    private final List<Node> nodes;
    private final Set<IpFamily> families;
    private final Map<String, NamedSet> sets = new TreeMap<>();
    private final Map<String, Chain> chains = new TreeMap<>();
    /** Each peer's set name per family, once computed: many chains name the same peers. */
    private final Map<TierPeer, Map<IpFamily, Optional<String>>> peerSets = new java.util.HashMap<>();
    private final Map<TierPolicy.PodsPeer, List<Pod>> peerPods = new java.util.HashMap<>();

    /** Validates the snapshot's cluster policies, reporting problems in {@code diagnostics}. */
    public TierCompiler(ClusterSnapshot snapshot, Set<IpFamily> families, List<Diagnostic> diagnostics) {
        List<ClusterNetworkPolicy> byName = new ArrayList<>(snapshot.clusterPolicies());
        byName.sort(Comparator.comparing(ClusterNetworkPolicy::name));
        for (ClusterNetworkPolicy policy : byName) {
            TierValidator.validate(policy, diagnostics).ifPresent(policies::add);
        }
        policies.sort(ORDER);
        snapshot.namespaces().forEach(ns -> namespaceLabels.put(ns.name(), ns.labels()));
        this.pods = snapshot.pods().stream().filter(Pod::participates).toList();
        this.nodes = snapshot.nodes();
        this.families = Set.copyOf(families);
    }

    public boolean isEmpty() {
        return policies.isEmpty();
    }

    /**
     * Builds the tier chains of one direction.
     *
     * @return the dispatch of addresses of {@code local} to tier chains; addresses of pods no tier policy applies to
     *         are absent (they keep their NetworkPolicy dispatch, if any)
     */
    public List<MapElement> compile(PolicyType direction, List<LocalPod> local) {
        Map<String, List<LocalPod>> groups = new TreeMap<>();
        Map<String, Selection> selections = new TreeMap<>();
        for (LocalPod pod : local) {
            if (!pod.pod().participates()) {
                continue;
            }
            Selection selection = select(direction, pod);
            if (selection == null) {
                continue;
            }
            String key = selection.key();
            groups.computeIfAbsent(key, k -> new ArrayList<>()).add(pod);
            selections.putIfAbsent(key, selection);
        }
        List<MapElement> dispatch = new ArrayList<>();
        for (var entry : groups.entrySet()) {
            String chainName = (direction == PolicyType.INGRESS ? "cnp-ing-" : "cnp-egr-") + hash(entry.getKey());
            buildChain(direction, chainName, selections.get(entry.getKey()), entry.getValue());
            for (LocalPod pod : entry.getValue()) {
                pod.addresses().forEach(a -> dispatch.add(new MapElement(a, chainName, pod.pod().ref())));
            }
        }
        return dispatch;
    }

    /** Every tier chain built, with {@code cnp-deny} when one was. */
    public List<Chain> chains() {
        if (chains.isEmpty()) {
            return List.of();
        }
        List<Chain> all = new ArrayList<>(chains.values());
        all.add(new Chain(DENY_CHAIN, Optional.empty(), "denied by a ClusterNetworkPolicy rule", List.of(
                Rule.of(EstablishedFlows.RESET, "judged again and denied: reset"),
                Rule.of(EstablishedFlows.DROP, "denied by a ClusterNetworkPolicy rule"))));
        return all;
    }

    /** Every set the tier chains look up. */
    public List<NamedSet> sets() {
        return List.copyOf(sets.values());
    }

    private record Selection(List<TierPolicy> admin, String networkPolicyChain, List<TierPolicy> baseline) {
        String key() {
            StringBuilder key = new StringBuilder();
            admin.forEach(p -> key.append(p.name()).append(','));
            key.append('|').append(networkPolicyChain).append('|');
            if (networkPolicyChain == null) {
                baseline.forEach(p -> key.append(p.name()).append(','));
            }
            return key.toString();
        }
    }

    /** The policies that apply to the pod in this direction; null when none changes what NetworkPolicy does. */
    private Selection select(PolicyType direction, LocalPod local) {
        List<TierPolicy> admin = new ArrayList<>();
        List<TierPolicy> baseline = new ArrayList<>();
        Pod pod = local.pod();
        for (TierPolicy policy : policies) {
            if (policy.rules(direction).isEmpty() || !selects(policy.subject(), pod)) {
                continue;
            }
            (policy.tier() == TierPolicy.Tier.ADMIN ? admin : baseline).add(policy);
        }
        boolean isolated = local.networkPolicyChain() != null;
        if (admin.isEmpty() && (isolated || baseline.isEmpty())) {
            return null;
        }
        return new Selection(admin, local.networkPolicyChain(), isolated ? List.of() : baseline);
    }

    private boolean selects(TierPolicy.Subject subject, Pod pod) {
        return subject.namespaces().matches(labelsOf(pod.namespace()))
                && subject.pods().map(s -> s.matches(pod.labels())).orElse(true);
    }

    private Map<String, String> labelsOf(String namespace) {
        return namespaceLabels.computeIfAbsent(namespace, n -> new Namespace(n, Map.of()).labels());
    }

    private void buildChain(PolicyType direction, String chainName, Selection selection, List<LocalPod> members) {
        boolean ingress = direction == PolicyType.INGRESS;
        String allow = ingress ? "accept" : "return";
        String np = selection.networkPolicyChain();
        List<Rule> rules = new ArrayList<>();
        String tailName = chainName + "-baseline";
        boolean tail = np == null && !selection.baseline().isEmpty()
                && selection.admin().stream().anyMatch(p -> hasPass(p, direction));
        String adminPass = np != null ? "goto " + np : tail ? "goto " + tailName : allow;
        for (TierPolicy policy : selection.admin()) {
            policyRules(direction, policy, adminPass, members, rules);
        }
        List<Rule> baselineRules = new ArrayList<>();
        for (TierPolicy policy : selection.baseline()) {
            policyRules(direction, policy, allow, members, baselineRules);
        }
        baselineRules.add(Rule.of(allow, "no " + direction.field()
                + " rule of a ClusterNetworkPolicy decided, and NetworkPolicy does not isolate"));
        if (np != null) {
            rules.add(Rule.of("goto " + np, "no Admin rule decided: NetworkPolicy decides"));
        } else if (tail) {
            rules.add(Rule.of("goto " + tailName, "no Admin rule decided: the Baseline tier"));
            chains.put(tailName, new Chain(tailName, Optional.empty(), "Baseline tier for " + chainName,
                    baselineRules));
        } else {
            rules.addAll(baselineRules);
        }
        String policies = describe(selection);
        chains.put(chainName, new Chain(chainName, Optional.empty(),
                direction.field() + " of pods selected by " + policies, rules));
    }

    private static boolean hasPass(TierPolicy policy, PolicyType direction) {
        return policy.rules(direction).stream().anyMatch(r -> r.action() == Action.PASS);
    }

    private static String describe(Selection selection) {
        List<String> parts = new ArrayList<>();
        selection.admin().forEach(p -> parts.add("Admin " + p.ref() + "[" + p.priority() + "]"));
        if (selection.networkPolicyChain() != null) {
            parts.add("NetworkPolicy");
        }
        selection.baseline().forEach(p -> parts.add("Baseline " + p.ref() + "[" + p.priority() + "]"));
        return String.join(", ", parts);
    }

    private void policyRules(PolicyType direction, TierPolicy policy, String passVerdict, List<LocalPod> members,
                             List<Rule> out) {
        boolean ingress = direction == PolicyType.INGRESS;
        for (TierRule rule : policy.rules(direction)) {
            String verdict = switch (rule.action()) {
                case ACCEPT -> ingress ? "accept" : "return";
                case DENY -> "jump " + DENY_CHAIN;
                case PASS -> passVerdict;
            };
            String comment = new TierComment(policy.name(), direction, rule.index(), rule.action().text(),
                    policy.tier().text(), policy.priority()).text();
            if (rule.anyPeer()) {
                out.add(new Rule(verdict, comment, List.of(new Source(policy.ref(), direction, rule.index(), -1))));
                continue;
            }
            List<NumberedPort> numbered = new ArrayList<>();
            List<NamedPort> named = new ArrayList<>();
            rule.ports().forEach(p -> {
                if (p instanceof NumberedPort n) {
                    numbered.add(n);
                } else {
                    named.add((NamedPort) p);
                }
            });
            String portMatch = numbered.isEmpty() ? null : "meta l4proto . th dport @" + portSet(numbered);
            for (TierPeer peer : rule.peers()) {
                List<Source> sources = List.of(new Source(policy.ref(), direction, rule.index(), peer.index()));
                for (IpFamily family : IpFamily.values()) {
                    if (!families.contains(family)) {
                        continue;
                    }
                    String peerSet = peerSet(peer, family);
                    if (peerSet == null) {
                        continue;
                    }
                    String fam = family.nftPayload();
                    String peerMatch = fam + (ingress ? " saddr @" : " daddr @") + peerSet;
                    if (rule.ports().isEmpty()) {
                        out.add(new Rule(peerMatch + " " + verdict, comment, sources));
                    }
                    if (portMatch != null) {
                        out.add(new Rule(peerMatch + " " + portMatch + " " + verdict, comment, sources));
                    }
                    if (!named.isEmpty()) {
                        if (ingress) {
                            String set = namedPortSet(named, members.stream().map(LocalPod::pod).toList(), family,
                                    "ingress named ports of " + members.size() + " pods");
                            out.add(new Rule(peerMatch + " " + fam + " daddr . meta l4proto . th dport @" + set + " "
                                    + verdict, comment, sources));
                        } else if (peer instanceof TierPolicy.PodsPeer pods) {
                            String set = namedPortSet(named, podsOf(pods), family, "named ports of " + describe(pods));
                            out.add(new Rule(fam + " daddr . meta l4proto . th dport @" + set + " " + verdict, comment,
                                    sources));
                        }
                        // A named port on networks or nodes matches nothing: they have no named ports.
                    }
                }
            }
        }
    }

    /** The set of the peer's addresses in the family; null when the peer has none there by definition. */
    private String peerSet(TierPeer peer, IpFamily family) {
        return peerSets.computeIfAbsent(peer, p -> new java.util.EnumMap<>(IpFamily.class))
                .computeIfAbsent(family, f -> Optional.ofNullable(buildPeerSet(peer, f))).orElse(null);
    }

    private String buildPeerSet(TierPeer peer, IpFamily family) {
        Map<IpAddress, String> singles = new TreeMap<>();
        List<IpRange> ranges = new ArrayList<>();
        String key;
        String description;
        if (peer instanceof TierPolicy.PodsPeer pods) {
            key = "pods|" + pods.namespaces() + "|" + pods.pods().map(Selector::toString).orElse("*");
            description = describe(pods);
            for (Pod pod : podsOf(pods)) {
                addresses(pod.ips(), family).forEach(a -> singles.putIfAbsent(a, pod.ref()));
            }
        } else if (peer instanceof TierPolicy.NodesPeer nodesPeer) {
            key = "nodes|" + nodesPeer.nodes();
            description = "addresses of nodes " + nodesPeer.nodes();
            for (Node node : nodes) {
                if (nodesPeer.nodes().matches(node.labels())) {
                    addresses(node.addresses(), family).forEach(a -> singles.putIfAbsent(a, "node " + node.name()));
                }
            }
        } else {
            TierPolicy.NetworksPeer networks = (TierPolicy.NetworksPeer) peer;
            networks.ranges().stream().filter(r -> r.family() == family).forEach(ranges::add);
            if (ranges.isEmpty()) {
                return null;
            }
            key = "networks|" + networks.ranges();
            description = "networks " + networks.ranges();
        }
        List<SetElement> elements = new ArrayList<>();
        singles.forEach((a, owner) -> elements.add(new SetElement(List.of(new KeyPart.Addresses(IpRange.single(a))),
                List.of(), owner)));
        for (IpRange r : ranges) {
            elements.add(new SetElement(List.of(new KeyPart.Addresses(r)), List.of(), ""));
        }
        String name = "cnp-" + hash(key) + "-" + family.suffix();
        sets.put(name, new NamedSet(name, List.of(family == IpFamily.IPV4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR),
                !ranges.isEmpty(), description, elements));
        return name;
    }

    private String portSet(List<NumberedPort> ports) {
        Map<Protocol, List<int[]>> byProtocol = new TreeMap<>();
        for (NumberedPort p : ports) {
            byProtocol.computeIfAbsent(p.protocol(), k -> new ArrayList<>()).add(new int[] {p.first(), p.last()});
        }
        List<SetElement> elements = new ArrayList<>();
        boolean interval = false;
        for (var entry : byProtocol.entrySet()) {
            List<int[]> ranges = entry.getValue();
            ranges.sort(Comparator.comparingInt(r -> r[0]));
            int[] current = null;
            for (int[] r : ranges) {
                if (current != null && r[0] <= current[1] + 1) {
                    current[1] = Math.max(current[1], r[1]);
                    continue;
                }
                if (current != null) {
                    elements.add(portElement(entry.getKey(), current));
                }
                current = r.clone();
            }
            elements.add(portElement(entry.getKey(), current));
        }
        StringBuilder key = new StringBuilder("ports|");
        for (SetElement e : elements) {
            key.append(e.keyToNft()).append(',');
            KeyPart.Ports p = (KeyPart.Ports) e.key().get(1);
            interval |= p.first() != p.last();
        }
        String name = "cnp-ports-" + hash(key.toString());
        sets.put(name, new NamedSet(name, List.of(KeyType.INET_PROTO, KeyType.INET_SERVICE), interval,
                "ports " + String.join(", ", elements.stream().map(SetElement::keyToNft).toList()), elements));
        return name;
    }

    private static SetElement portElement(Protocol protocol, int[] range) {
        return new SetElement(List.of(new KeyPart.Proto(protocol), new KeyPart.Ports(range[0], range[1])), List.of(), "");
    }

    /** Destination address · protocol · port of the named ports, as each of {@code destinations} numbers them. */
    private String namedPortSet(List<NamedPort> names, List<Pod> destinations, IpFamily family, String description) {
        Set<String> wanted = new TreeSet<>();
        names.forEach(n -> wanted.add(n.name()));
        TreeSet<SetElement> elements = new TreeSet<>();
        StringBuilder key = new StringBuilder("named|").append(wanted).append('|');
        for (Pod pod : destinations) {
            for (ContainerPort port : pod.ports()) {
                if (!port.hasName() || !wanted.contains(port.name())) {
                    continue;
                }
                for (IpAddress address : addresses(pod.ips(), family)) {
                    elements.add(new SetElement(List.of(new KeyPart.Addresses(IpRange.single(address)),
                            new KeyPart.Proto(port.protocol()), new KeyPart.Ports(port.port(), port.port())),
                            List.of(), pod.ref()));
                }
            }
        }
        elements.forEach(e -> key.append(e.keyToNft()).append(','));
        String name = "cnp-named-" + hash(key.toString()) + "-" + family.suffix();
        sets.put(name, new NamedSet(name, List.of(family == IpFamily.IPV4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR,
                KeyType.INET_PROTO, KeyType.INET_SERVICE), false, description, List.copyOf(elements)));
        return name;
    }

    private List<Pod> podsOf(TierPolicy.PodsPeer peer) {
        return peerPods.computeIfAbsent(peer, this::selectPods);
    }

    private List<Pod> selectPods(TierPolicy.PodsPeer peer) {
        List<Pod> selected = new ArrayList<>();
        for (Pod pod : pods) {
            if (peer.namespaces().matches(labelsOf(pod.namespace()))
                    && peer.pods().map(s -> s.matches(pod.labels())).orElse(true)) {
                selected.add(pod);
            }
        }
        return selected;
    }

    private static String describe(TierPolicy.PodsPeer peer) {
        return "pods " + peer.pods().map(Selector::toString).orElse("(all)") + " of namespaces " + peer.namespaces();
    }

    /** The addresses of the family among {@code texts}; those that are not addresses are skipped (reported elsewhere). */
    private static List<IpAddress> addresses(List<String> texts, IpFamily family) {
        List<IpAddress> out = new ArrayList<>();
        for (String text : texts) {
            try {
                IpAddress address = IpAddress.parse(text);
                if (address.family() == family && !out.contains(address)) {
                    out.add(address);
                }
            } catch (IllegalArgumentException e) {
                // ClusterIndex reports a pod's bad address; a node's is simply not a peer address.
            }
        }
        return out;
    }

    private static String hash(String text) {
        return ObjectNames.hash(text);
    }
}
