package io.nftpolicy.cluster;

import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.NetworkPolicy;
import java.util.List;

/**
 * Everything the compiler reads: one consistent view of the cluster's namespaces, pods and policies, and, for
 * ClusterNetworkPolicy, those cluster-scoped policies and the nodes their {@code nodes} peers select.
 */
public record ClusterSnapshot(List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies,
                              List<ClusterNetworkPolicy> clusterPolicies, List<Node> nodes) {
    public ClusterSnapshot {
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        policies = List.copyOf(policies);
        clusterPolicies = List.copyOf(clusterPolicies);
        nodes = List.copyOf(nodes);
    }

    /** A snapshot without ClusterNetworkPolicy objects or nodes. */
    public ClusterSnapshot(List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies) {
        this(namespaces, pods, policies, List.of(), List.of());
    }

    /** The same snapshot with these cluster policies and nodes. */
    public ClusterSnapshot withTiers(List<ClusterNetworkPolicy> clusterPolicies, List<Node> nodes) {
        return new ClusterSnapshot(namespaces, pods, policies, clusterPolicies, nodes);
    }
}
