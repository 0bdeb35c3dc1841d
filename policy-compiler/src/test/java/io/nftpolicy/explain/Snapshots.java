package io.nftpolicy.explain;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Real snapshots for specifications of explain, compiled by the real compiler. */
final class Snapshots {
    private final List<Namespace> namespaces = new ArrayList<>();
    private final List<Pod> pods = new ArrayList<>();
    private final List<NetworkPolicy> policies = new ArrayList<>();

    static Snapshots snapshot(String... namespaces) {
        Snapshots s = new Snapshots();
        Arrays.stream(namespaces).forEach(n -> s.namespaces.add(new Namespace(n, Map.of())));
        return s;
    }

    Snapshots pod(String ref, String node, String ip, String... labels) {
        return pod(ref, node, List.of(ip), List.of(), labels);
    }

    Snapshots pod(String ref, String node, List<String> ips, List<ContainerPort> ports, String... labels) {
        String[] name = ref.split("/");
        return add(new Pod(name[0], name[1], labels(labels), node, false, PodPhase.RUNNING, false, ips, ports));
    }

    Snapshots add(Pod pod) {
        pods.add(pod);
        return this;
    }

    Snapshots ingress(String ref, String selector, PolicyRule... rules) {
        return policy(ref, selector, "Ingress", List.of(rules), List.of());
    }

    Snapshots egress(String ref, String selector, PolicyRule... rules) {
        return policy(ref, selector, "Egress", List.of(), List.of(rules));
    }

    private Snapshots policy(String ref, String selector, String type, List<PolicyRule> in, List<PolicyRule> out) {
        String[] name = ref.split("/");
        policies.add(new NetworkPolicy(name[0], name[1], selector(selector), List.of(type), in, out));
        return this;
    }

    ClusterSnapshot build() {
        return new ClusterSnapshot(namespaces, pods, policies);
    }

    Ruleset ruleset(String node) {
        return new PolicyCompiler().compile(build(), node).ruleset();
    }

    RulesetEvaluator evaluator(String node) {
        return new RulesetEvaluator(ruleset(node));
    }

    /** {@code role=db}; empty text selects every pod. */
    static LabelSelector selector(String labels) {
        return labels.isEmpty() ? LabelSelector.all() : LabelSelector.matchLabels(labels(labels.split(",")));
    }

    private static Map<String, String> labels(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String kv : keyValues) {
            String[] parts = kv.split("=", 2);
            map.put(parts[0], parts[1]);
        }
        return map;
    }
}
