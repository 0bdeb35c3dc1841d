package io.nftpolicy.snapshot;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.List;

/**
 * The objects of a snapshot file that policy reads, as fabric8 model objects, in file order.
 *
 * @param warnings one line each, about objects of the file that were skipped (file:line: ...)
 * @param tiers    its ClusterNetworkPolicy and Node objects
 */
public record KubernetesObjects(
        List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies, List<String> warnings,
        TierObjects tiers) {

    public KubernetesObjects {
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        policies = List.copyOf(policies);
        warnings = List.copyOf(warnings);
        tiers = tiers == null ? TierObjects.NONE : tiers;
    }

    /** Without ClusterNetworkPolicy or Node objects. */
    public KubernetesObjects(List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies,
                             List<String> warnings) {
        this(namespaces, pods, policies, warnings, TierObjects.NONE);
    }
}
