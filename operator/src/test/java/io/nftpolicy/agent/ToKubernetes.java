package io.nftpolicy.agent;

import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.snapshot.SnapshotWriter;

/**
 * The compiler's records as Kubernetes objects, to load a generated cluster into the mock API server. Kept for the
 * tests that use it; the conversion is {@link SnapshotWriter}'s.
 */
final class ToKubernetes {
    private ToKubernetes() {}

    static io.fabric8.kubernetes.api.model.Namespace namespace(Namespace ns) {
        return SnapshotWriter.namespace(ns);
    }

    static io.fabric8.kubernetes.api.model.Pod pod(Pod pod) {
        return SnapshotWriter.pod(pod);
    }

    static io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy policy(NetworkPolicy policy) {
        return SnapshotWriter.policy(policy);
    }
}
