package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyRule;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Small clusters for specifications: readable construction of namespaces, pods and policies. */
final class Clusters {
    private final List<Namespace> namespaces = new ArrayList<>();
    private final List<Pod> pods = new ArrayList<>();
    private final List<NetworkPolicy> policies = new ArrayList<>();

    static Clusters cluster() {
        return new Clusters();
    }

    Clusters namespace(String name, String... labels) {
        namespaces.add(new Namespace(name, labels(labels)));
        return this;
    }

    Clusters pod(String ref, String node, String ip, String... labels) {
        return add(pod(ref, node, List.of(ip), labels(labels), List.of()));
    }

    Clusters add(Pod pod) {
        pods.add(pod);
        return this;
    }

    Clusters policy(NetworkPolicy policy) {
        policies.add(policy);
        return this;
    }

    ClusterSnapshot snapshot() {
        return new ClusterSnapshot(namespaces, pods, policies);
    }

    static Pod pod(String ref, String node, List<String> ips, Map<String, String> labels, List<ContainerPort> ports) {
        String[] parts = ref.split("/");
        return new Pod(parts[0], parts[1], labels, node, false, PodPhase.RUNNING, false, ips, ports);
    }

    static Map<String, String> labels(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String kv : keyValues) {
            String[] parts = kv.split("=", 2);
            map.put(parts[0], parts[1]);
        }
        return map;
    }

    static LabelSelector selector(String... keyValues) {
        return LabelSelector.matchLabels(labels(keyValues));
    }

    static NetworkPolicy ingress(String ref, LabelSelector podSelector, PolicyRule... rules) {
        String[] parts = ref.split("/");
        return new NetworkPolicy(parts[0], parts[1], podSelector, List.of("Ingress"), Arrays.asList(rules), List.of());
    }

    static NetworkPolicy egress(String ref, LabelSelector podSelector, PolicyRule... rules) {
        String[] parts = ref.split("/");
        return new NetworkPolicy(parts[0], parts[1], podSelector, List.of("Egress"), List.of(), Arrays.asList(rules));
    }
}
