package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.tier.TierCompiler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * ClusterNetworkPolicy's part of the table for {@link IncrementalCompiler}: compiled by {@link TierCompiler} as
 * {@link PolicyCompiler} compiles it, and again only when something it reads changed. It reads the cluster
 * policies, the Nodes, the namespaces' labels, the address families, the pods that are pod peers of its rules, and
 * the local pods with their addresses and NetworkPolicy chain; a change to anything else (a pod no rule names as a
 * peer, a NetworkPolicy that leaves every local pod in its chain) hands back the previous part, the same instances.
 */
final class IncrementalTiers {
    /** What the tier part adds to the table. */
    record Part(List<List<MapElement>> dispatch, List<Chain> chains, List<NamedSet> sets, List<VerdictMap> maps,
                List<Diagnostic> diagnostics) {
        static final Part NONE = new Part(List.of(List.of(), List.of()), List.of(), List.of(), List.of(), List.of());
    }

    /** What the part was compiled from. */
    private record Inputs(Set<Object> policies, int policyCount, Set<Object> nodes, int nodeCount,
                          Map<String, Map<String, String>> namespaceLabels, Set<IpFamily> families,
                          List<List<TierCompiler.LocalPod>> local) {
        /** Everything but the local pods and the peer pods, which {@link #compile} looks at separately. */
        boolean sameCluster(Inputs o) {
            return policyCount == o.policyCount && nodeCount == o.nodeCount && families.equals(o.families)
                    && namespaceLabels.equals(o.namespaceLabels) && policies.equals(o.policies) && nodes.equals(o.nodes);
        }
    }

    private Inputs inputs;
    private TierCompiler compiler;
    private Part part = Part.NONE;

    /**
     * The tier part of this snapshot.
     *
     * @param local   per direction, the local pods in namespace/name order with their NetworkPolicy chain there
     * @param changes the members that changed since the previous call
     */
    Part compile(ClusterSnapshot snapshot, Set<IpFamily> families, List<List<TierCompiler.LocalPod>> local,
                 List<ClusterState.MemberChange> changes) {
        if (snapshot.clusterPolicies().isEmpty()) {
            inputs = null;
            compiler = null;
            part = Part.NONE;
            return part;
        }
        Map<String, Map<String, String>> labels = new HashMap<>();
        for (Namespace ns : snapshot.namespaces()) {
            labels.put(ns.name(), ns.labels());
        }
        Inputs next = new Inputs(new HashSet<>(snapshot.clusterPolicies()), snapshot.clusterPolicies().size(),
                new HashSet<>(snapshot.nodes()), snapshot.nodes().size(), labels, Set.copyOf(families), local);
        if (inputs != null && inputs.sameCluster(next) && noPeerChanged(changes)) {
            Part moved = inputs.local.equals(local) ? part : movedBetweenChains(inputs.local, local);
            if (moved != null) {
                inputs = next;
                part = moved;
                return part;
            }
        }
        List<Diagnostic> diagnostics = new ArrayList<>();
        TierCompiler tiers = new TierCompiler(snapshot, families, diagnostics);
        List<List<MapElement>> dispatch = new ArrayList<>();
        for (PolicyType direction : PolicyType.values()) {
            dispatch.add(tiers.isEmpty() ? List.of() : tiers.compile(direction, local.get(direction.ordinal())));
        }
        inputs = next;
        compiler = tiers;
        part = new Part(dispatch, tiers.chains(), tiers.sets(), tiers.maps(), List.copyOf(diagnostics));
        return part;
    }

    /**
     * The previous part with the {@code cnp-next} elements re-pointed, when the only difference is local pods moving
     * from one NetworkPolicy chain to another (a NetworkPolicy created, changed or deleted). Isolated before and
     * after, such a pod's Baseline policies are never consulted and its Admin chain depends on the pod alone: only
     * the element naming its NetworkPolicy chain changes. Null when anything else differs.
     */
    private Part movedBetweenChains(List<List<TierCompiler.LocalPod>> before, List<List<TierCompiler.LocalPod>> after) {
        List<VerdictMap> maps = new ArrayList<>(part.maps());
        for (PolicyType direction : PolicyType.values()) {
            List<TierCompiler.LocalPod> was = before.get(direction.ordinal());
            List<TierCompiler.LocalPod> is = after.get(direction.ordinal());
            if (was.size() != is.size()) {
                return null;
            }
            Map<io.nftpolicy.net.IpAddress, String[]> moves = new HashMap<>();
            for (int i = 0; i < was.size(); i++) {
                TierCompiler.LocalPod b = was.get(i);
                TierCompiler.LocalPod a = is.get(i);
                if (b.equals(a)) {
                    continue;
                }
                if (b.networkPolicyChain() == null || a.networkPolicyChain() == null || !b.pod().equals(a.pod())
                        || !b.addresses().equals(a.addresses())) {
                    return null;
                }
                a.addresses().forEach(address -> moves.put(address,
                        new String[] {b.networkPolicyChain(), a.networkPolicyChain()}));
            }
            if (!moves.isEmpty()) {
                maps.replaceAll(map -> map.name().startsWith("cnp-next-" + direction.field() + "-") ? repoint(map, moves)
                        : map);
            }
        }
        return new Part(part.dispatch(), part.chains(), part.sets(), List.copyOf(maps), part.diagnostics());
    }

    private static VerdictMap repoint(VerdictMap map, Map<io.nftpolicy.net.IpAddress, String[]> moves) {
        List<MapElement> elements = new ArrayList<>(map.elements());
        boolean changed = false;
        for (int i = 0; i < elements.size(); i++) {
            MapElement e = elements.get(i);
            String[] move = moves.get(e.key());
            if (move != null && e.chain().equals(move[0])) {
                elements.set(i, new MapElement(e.key(), move[1], e.comment()));
                changed = true;
            }
        }
        return changed ? new VerdictMap(map.name(), map.keyType(), map.comment(), elements) : map;
    }

    /** Whether no changed pod is, before or after, a pod peer of a rule (namespace labels being unchanged). */
    private boolean noPeerChanged(List<ClusterState.MemberChange> changes) {
        for (ClusterState.MemberChange change : changes) {
            if (change.before() != null && compiler.isPeer(change.before().pod())
                    || change.after() != null && compiler.isPeer(change.after().pod())) {
                return false;
            }
        }
        return true;
    }
}
