package io.nftpolicy.cluster;

import io.nftpolicy.policy.NetworkPolicy;
import java.util.List;

/** Everything the compiler reads: one consistent view of the cluster's namespaces, pods and policies. */
public record ClusterSnapshot(List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies) {
    public ClusterSnapshot {
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        policies = List.copyOf(policies);
    }
}
