package io.nftpolicy.snapshot;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.List;

/**
 * The objects of a snapshot file that policy reads, as fabric8 model objects, in file order.
 *
 * @param warnings one line each, about objects of the file that were skipped (file:line: ...)
 */
public record KubernetesObjects(
        List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies, List<String> warnings) {

    public KubernetesObjects {
        namespaces = List.copyOf(namespaces);
        pods = List.copyOf(pods);
        policies = List.copyOf(policies);
        warnings = List.copyOf(warnings);
    }
}
