package io.nftpolicy.snapshot;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Node;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.NetworkPolicy;
import java.util.ArrayList;
import java.util.List;

/** The records read from a snapshot file so far, in file order, and what was dropped while reading them. */
final class SnapshotBuilder {
    final List<Namespace> namespaces = new ArrayList<>();
    final List<Pod> pods = new ArrayList<>();
    final List<NetworkPolicy> policies = new ArrayList<>();
    final List<ClusterNetworkPolicy> clusterPolicies = new ArrayList<>();
    final List<Node> nodes = new ArrayList<>();
    final List<Diagnostic> diagnostics = new ArrayList<>();

    /** Adds the records read from a later part of the same file. */
    void append(SnapshotBuilder later) {
        namespaces.addAll(later.namespaces);
        pods.addAll(later.pods);
        policies.addAll(later.policies);
        clusterPolicies.addAll(later.clusterPolicies);
        nodes.addAll(later.nodes);
        diagnostics.addAll(later.diagnostics);
    }

    ClusterSnapshot snapshot() {
        return SnapshotConverter.snapshot(namespaces, pods, policies).withTiers(clusterPolicies, nodes);
    }
}
