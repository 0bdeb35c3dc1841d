package io.nftpolicy.bench.dataplane;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The staged case of the data plane ({@code --staged}): in each namespace of a probed pod, a staged policy
 * selecting every pod for ingress and egress with no rule. So the server's first packet walks its staged ingress
 * chain (the rules of its enforced policies, counting, then the would-deny lookup) before its enforced chain, and a
 * client's walks a staged egress chain: the most a staged policy adds to a probed connection. Staged, they change
 * no verdict, which the benchmark verifies.
 */
final class StagedDenyAll {
    static final String NAME = "bench-staged-deny-all";

    private StagedDenyAll() {}

    static ClusterSnapshot of(ClusterSnapshot snapshot, ProbePlan plan) {
        TreeSet<String> namespaces = new TreeSet<>();
        namespaces.add(plan.server().namespace());
        plan.probes().forEach(p -> namespaces.add(p.client().namespace()));
        List<NetworkPolicy> policies = new ArrayList<>(snapshot.policies());
        namespaces.forEach(ns -> policies.add(new NetworkPolicy(ns, NAME, LabelSelector.all(),
                List.of("Ingress", "Egress"), List.of(), List.of(), true)));
        return new ClusterSnapshot(snapshot.namespaces(), snapshot.pods(), policies, snapshot.clusterPolicies(),
                snapshot.nodes());
    }
}
