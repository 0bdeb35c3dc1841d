package io.nftpolicy.snapshot;

import io.nftpolicy.cluster.Node;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import java.util.List;

/**
 * The ClusterNetworkPolicy and Node objects of a snapshot, already as the compiler's records
 * ({@link TierObjectReader}).
 */
public record TierObjects(List<ClusterNetworkPolicy> clusterPolicies, List<Node> nodes) {
    public static final TierObjects NONE = new TierObjects(List.of(), List.of());

    public TierObjects {
        clusterPolicies = List.copyOf(clusterPolicies);
        nodes = List.copyOf(nodes);
    }
}
