package io.nftpolicy.tier;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.ObjectNames;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compiles ClusterNetworkPolicy's tiers for one node, next to the NetworkPolicy chains of the same table.
 *
 * <p>Per direction, each local pod that some Admin policy selects is dispatched to the <em>Admin chain</em> of the
 * Admin policies that select it; a pod no Admin policy selects but some Baseline policy does, and that NetworkPolicy
 * does not isolate, goes straight to the <em>Baseline chain</em> of its Baseline policies:
 * <pre>
 * cnp-ing-HASH (Admin)     the Admin policies' rules by priority, then name, then rule order, run by run
 *                          ({@link TierRuns}): accept|return, jump cnp-deny, or goto cnp-ing-next (Pass)
 *                          goto cnp-ing-next                      no Admin rule decided
 * cnp-ing-next             ip daddr vmap @cnp-next-ingress-v4     the pod's NetworkPolicy chain when it isolates the
 *                          ip6 daddr vmap @cnp-next-ingress-v6    pod, else its Baseline chain, else cnp-ing-allow
 *                          jump cnp-deny                          no element: fail closed (egress: return,
 *                                                                 where the jumped-to chains return when they allow)
 * cnp-ing-allow            accept                                 (egress: return)
 * cnp-ing-HASH (Baseline)  the Baseline policies' rules, the same way (Pass: allowed), then accept|return
 * </pre>
 * An Admin chain depends only on its policies, not on the pod's NetworkPolicy chain: after the Admin tier, a second
 * verdict-map lookup per pod finds what comes next, so the Admin rules are written once, whatever the number of
 * NetworkPolicy groups. An Accept ends the direction: {@code accept} for ingress, {@code return} for egress (so that
 * the destination's ingress is still checked). A Deny jumps to {@code cnp-deny}, which ends like every NetworkPolicy
 * chain (a re-checked established TCP flow is reset, then the flow is marked denied and dropped), so established
 * flows and fail-closed mode behave as for NetworkPolicy.
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
    private final Set<IpFamily> families;
    private final TierAddresses addresses;
    private final Map<String, NamedSet> sets = new TreeMap<>();
    private final Map<String, Chain> chains = new TreeMap<>();
    private final List<VerdictMap> maps = new ArrayList<>();
    private final TierRuns runs;

    /** Validates the snapshot's cluster policies, reporting problems in {@code diagnostics}. */
    public TierCompiler(ClusterSnapshot snapshot, Set<IpFamily> families, List<Diagnostic> diagnostics) {
        List<ClusterNetworkPolicy> byName = new ArrayList<>(snapshot.clusterPolicies());
        byName.sort(Comparator.comparing(ClusterNetworkPolicy::name));
        for (ClusterNetworkPolicy policy : byName) {
            TierValidator.validate(policy, diagnostics).ifPresent(policies::add);
        }
        policies.sort(ORDER);
        Map<String, Map<String, String>> namespaceLabels = new TreeMap<>();
        snapshot.namespaces().forEach(ns -> namespaceLabels.put(ns.name(), ns.labels()));
        this.addresses = new TierAddresses(namespaceLabels, snapshot.pods().stream().filter(Pod::participates).toList(),
                snapshot.nodes());
        this.families = Set.copyOf(families);
        this.runs = new TierRuns(addresses, this.families, sets);
    }

    public boolean isEmpty() {
        return policies.isEmpty();
    }

    /**
     * Whether the pod is a pod peer of some rule, with the namespace labels of this compiler's snapshot. A pod that is
     * not, before and after a change, leaves every tier set as it was: only local pods' own chains and elements can
     * still change, and they are the caller's to compare.
     */
    public boolean isPeer(Pod pod) {
        if (!pod.participates()) {
            return false;
        }
        for (TierPolicy policy : policies) {
            for (PolicyType direction : PolicyType.values()) {
                for (TierPolicy.TierRule rule : policy.rules(direction)) {
                    for (TierPolicy.TierPeer peer : rule.peers()) {
                        if (peer instanceof TierPolicy.PodsPeer pods
                                && addresses.selects(pods.namespaces(), pods.pods(), pod)) {
                            return true;
                        }
                    }
                }
            }
        }
        return false;
    }

    /** The policies of one tier that apply to some pods, and those pods (where ingress named ports resolve). */
    private record TierChain(String name, List<TierPolicy> policies, List<Pod> members) {}

    /**
     * Builds the tier chains of one direction.
     *
     * @return the dispatch of addresses of {@code local} to tier chains; addresses of pods no tier policy applies to
     *         are absent (they keep their NetworkPolicy dispatch, if any)
     */
    public List<MapElement> compile(PolicyType direction, List<LocalPod> local) {
        Map<String, TierChain> admin = new TreeMap<>();
        Map<String, TierChain> baseline = new TreeMap<>();
        List<MapElement> dispatch = new ArrayList<>();
        List<MapElement> next = new ArrayList<>();
        for (LocalPod pod : local) {
            if (!pod.pod().participates()) {
                continue;
            }
            List<TierPolicy> adminPolicies = selecting(direction, TierPolicy.Tier.ADMIN, pod.pod());
            String np = pod.networkPolicyChain();
            List<TierPolicy> baselinePolicies = np == null ? selecting(direction, TierPolicy.Tier.BASELINE, pod.pod())
                    : List.of();
            String after = np;
            if (!baselinePolicies.isEmpty()) {
                after = chainOf(direction, baselinePolicies, baseline, pod).name();
            }
            if (!adminPolicies.isEmpty()) {
                String to = chainOf(direction, adminPolicies, admin, pod).name();
                String then = after != null ? after : allowChain(direction);
                pod.addresses().forEach(a -> dispatch.add(new MapElement(a, to, pod.pod().ref())));
                pod.addresses().forEach(a -> next.add(new MapElement(a, then, pod.pod().ref())));
            } else if (!baselinePolicies.isEmpty()) {
                String to = after;
                pod.addresses().forEach(a -> dispatch.add(new MapElement(a, to, pod.pod().ref())));
            }
        }
        String allow = direction == PolicyType.INGRESS ? "accept" : "return";
        String nextChain = nextChain(direction);
        for (TierChain chain : admin.values()) {
            List<Rule> rules = new ArrayList<>(runs.rules(direction, chain.policies(), "goto " + nextChain,
                    chain.members()));
            rules.add(Rule.of("goto " + nextChain, "no Admin rule decided: NetworkPolicy, else the Baseline tier"));
            chains.put(chain.name(), new Chain(chain.name(), Optional.empty(), describe(direction, chain), rules));
        }
        for (TierChain chain : baseline.values()) {
            List<Rule> rules = new ArrayList<>(runs.rules(direction, chain.policies(), allow, chain.members()));
            rules.add(Rule.of(allow, "no " + direction.field()
                    + " rule of a ClusterNetworkPolicy decided, and NetworkPolicy does not isolate"));
            chains.put(chain.name(), new Chain(chain.name(), Optional.empty(), describe(direction, chain), rules));
        }
        if (!admin.isEmpty()) {
            addNext(direction, nextChain, allow, next);
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

    /** The maps that say, per pod, what follows its Admin tier. */
    public List<VerdictMap> maps() {
        return List.copyOf(maps);
    }

    private static String nextChain(PolicyType direction) {
        return direction == PolicyType.INGRESS ? "cnp-ing-next" : "cnp-egr-next";
    }

    /** The chain after the Admin tier: one lookup of the pod's address, else allowed. */
    private void addNext(PolicyType direction, String name, String allow, List<MapElement> next) {
        boolean ingress = direction == PolicyType.INGRESS;
        List<Rule> rules = new ArrayList<>();
        for (IpFamily family : IpFamily.values()) {
            String map = "cnp-next-" + direction.field() + "-" + family.suffix();
            List<MapElement> elements = new ArrayList<>(next.stream().filter(e -> e.key().family() == family).toList());
            elements.sort(null);
            maps.add(new VerdictMap(map, family == IpFamily.IPV4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR,
                    "after the Admin tier, " + direction.field() + ": NetworkPolicy chain or Baseline chain", elements));
            rules.add(Rule.of(family.nftPayload() + (ingress ? " daddr" : " saddr") + " vmap @" + map,
                    "NetworkPolicy when it isolates the pod, else its Baseline tier"));
        }
        // Every pod of an Admin chain has an element. The chains an ingress element jumps to all end in a verdict, so
        // reaching the end means the pod has none (never in a table the compiler wrote): fail closed. Egress ones
        // return when they allow, and come back here.
        rules.add(ingress ? Rule.of("jump " + DENY_CHAIN, "the pod has no element: fail closed")
                : Rule.of(allow, "allowed for egress by the chain the pod's element jumped to"));
        chains.put(name, new Chain(name, Optional.empty(), "after the Admin tier, " + direction.field(), rules));
        String allowChain = allowChain(direction);
        chains.put(allowChain, new Chain(allowChain, Optional.empty(), "after the Admin tier, " + direction.field()
                + " allowed", List.of(Rule.of(allow,
                "no Admin rule decided, NetworkPolicy does not isolate, no Baseline policy"))));
    }

    private static String allowChain(PolicyType direction) {
        return direction == PolicyType.INGRESS ? "cnp-ing-allow" : "cnp-egr-allow";
    }

    /** The pod's tier chain for these policies, the pod added to its members. */
    private static TierChain chainOf(PolicyType direction, List<TierPolicy> policies, Map<String, TierChain> chains,
                                     LocalPod pod) {
        StringBuilder key = new StringBuilder(policies.get(0).tier().text()).append('|');
        policies.forEach(p -> key.append(p.name()).append(','));
        TierChain chain = chains.computeIfAbsent(key.toString(), k -> new TierChain(
                (direction == PolicyType.INGRESS ? "cnp-ing-" : "cnp-egr-") + ObjectNames.hash(direction + "|" + k),
                policies, new ArrayList<>()));
        chain.members().add(pod.pod());
        return chain;
    }

    /** The policies of the tier, in order, that select the pod and have rules in the direction. */
    private List<TierPolicy> selecting(PolicyType direction, TierPolicy.Tier tier, Pod pod) {
        List<TierPolicy> out = new ArrayList<>();
        for (TierPolicy policy : policies) {
            if (policy.tier() == tier && !policy.rules(direction).isEmpty()
                    && addresses.selects(policy.subject().namespaces(), policy.subject().pods(), pod)) {
                out.add(policy);
            }
        }
        return out;
    }

    private static String describe(PolicyType direction, TierChain chain) {
        return direction.field() + " of pods selected by " + String.join(", ", chain.policies().stream()
                .map(p -> p.tier().text() + " " + p.ref() + "[" + p.priority() + "]").toList());
    }
}
