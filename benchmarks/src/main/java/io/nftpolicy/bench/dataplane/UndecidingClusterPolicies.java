package io.nftpolicy.bench.dataplane;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Rule;
import io.nftpolicy.policy.ClusterNetworkPolicy.Subject;
import io.nftpolicy.policy.LabelSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The worst realistic case for ClusterNetworkPolicy in the data plane ({@code --cluster-policies N}): N Admin
 * policies whose subject is every pod, so the probed server and clients are subjects of all N, and whose rules
 * decide none of the probed connections. Each denies ingress from one namespace that holds no probed pod, and
 * egress to a /30 of 192.0.2.0/24 (TEST-NET-1, no pod there). A first packet to the server therefore walks all N
 * Admin ingress rules (one set lookup each) before its NetworkPolicy chain decides, and the client's first packet
 * walks N egress rules: the verdicts the benchmark verifies stay those of the NetworkPolicies. All Deny, the N
 * rules of a direction are one run, one lookup; alternating Accept and Deny, they are N runs, N lookups in order.
 */
final class UndecidingClusterPolicies {
    private UndecidingClusterPolicies() {}

    static List<ClusterNetworkPolicy> of(ClusterSnapshot snapshot, ProbePlan plan, int count, boolean alternating) {
        Set<String> probed = plan.probes().stream().map(p -> p.client().namespace()).collect(Collectors.toSet());
        probed.add(plan.server().namespace());
        List<String> others = snapshot.namespaces().stream().map(Namespace::name).filter(n -> !probed.contains(n))
                .sorted().toList();
        if (others.isEmpty()) {
            throw new IllegalArgumentException("--cluster-policies needs a namespace without probed pods; the cluster "
                    + "has " + snapshot.namespaces().size());
        }
        List<ClusterNetworkPolicy> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String from = others.get(i % others.size());
            String action = alternating && i % 2 == 1 ? "Accept" : "Deny";
            Rule ingress = Rule.of(action, List.of(Peer.namespaces(
                    LabelSelector.matchLabels(Map.of(Namespace.NAME_LABEL, from)))));
            Rule egress = Rule.of(action, List.of(Peer.networks(List.of("192.0.2." + (i % 64) * 4 + "/30"))));
            out.add(new ClusterNetworkPolicy(String.format("bench-%03d", i), "Admin", i % 1001,
                    Subject.ofNamespaces(LabelSelector.all()), List.of(ingress), List.of(egress)));
        }
        return out;
    }
}
