package io.nftpolicy.compile;

import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.policy.PolicyType;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Which group chain a local pod belongs to in one direction: the policies of its namespace that select it for that
 * direction, and for ingress how the named ports they use resolve on it. Pods with the same key share a chain.
 */
final class PodGrouping {
    private PodGrouping() {}

    /**
     * A pod's place in one direction.
     *
     * @param key      the group key: the selecting policies (and, for ingress, the named port resolution)
     * @param policies the selecting policies, in name order
     */
    record Selection(String key, List<ValidPolicy> policies) {}

    /**
     * The pod's selection in one direction, or null when no policy isolates it there.
     *
     * @param namespacePolicies the validated policies of the pod's namespace, in name order
     */
    static Selection select(PolicyType direction, ClusterIndex.Member pod, List<ValidPolicy> namespacePolicies) {
        List<ValidPolicy> selecting = new ArrayList<>();
        for (ValidPolicy p : namespacePolicies) {
            if (p.directions().contains(direction) && p.podSelector().matches(pod.labels())) {
                selecting.add(p);
            }
        }
        if (selecting.isEmpty()) {
            return null;
        }
        StringBuilder key = new StringBuilder();
        selecting.forEach(p -> key.append(p.ref()).append(p.valid() ? "" : "!invalid").append(','));
        if (direction == PolicyType.INGRESS) {
            key.append('|').append(namedPortResolution(pod, selecting));
        }
        return new Selection(key.toString(), List.copyOf(selecting));
    }

    /** How the named ports the policies use resolve on this pod, e.g. {@code http/TCP=8080;}. */
    private static String namedPortResolution(ClusterIndex.Member pod, List<ValidPolicy> policies) {
        TreeSet<String> resolved = new TreeSet<>();
        for (ValidPolicy p : policies) {
            for (AllowRule rule : p.rules(PolicyType.INGRESS)) {
                for (AllowedPort port : rule.ports()) {
                    if (port instanceof AllowedPort.Named named) {
                        StringBuilder entry = new StringBuilder(named.name() + "/" + named.protocol() + "=");
                        resolve(pod, named).forEach(n -> entry.append(n).append(' '));
                        resolved.add(entry.toString());
                    }
                }
            }
        }
        return String.join(";", resolved);
    }

    /** The numbers a named port has on a destination pod: name and protocol must both match. */
    static List<Integer> resolve(ClusterIndex.Member pod, AllowedPort.Named named) {
        TreeSet<Integer> numbers = new TreeSet<>();
        for (ContainerPort cp : pod.ports()) {
            if (cp.name().equals(named.name()) && cp.protocol() == named.protocol()) {
                numbers.add(cp.port());
            }
        }
        return new ArrayList<>(numbers);
    }
}
