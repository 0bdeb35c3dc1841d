package io.nftpolicy.tier;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Node;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.explain.Connection;
import io.nftpolicy.explain.ConnectionExplainer;
import io.nftpolicy.explain.TraceText;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small cluster in the shape of the upstream e2e model, namespaces x and y with pods a and b, pods of x on node n1
 * and of y on n2, to which specifications add policies; connections are judged by the compiled tables, through
 * explain's evaluator.
 */
final class Tiers {
    final List<Namespace> namespaces = new ArrayList<>(List.of(
            new Namespace("x", Map.of("ns", "x")), new Namespace("y", Map.of("ns", "y"))));
    final List<Pod> pods = new ArrayList<>();
    final List<NetworkPolicy> policies = new ArrayList<>();
    final List<ClusterNetworkPolicy> clusterPolicies = new ArrayList<>();
    final List<Node> nodes = new ArrayList<>(List.of(
            new Node("n1", Map.of("role", "worker"), List.of("192.168.1.1", "fd00:1::1")),
            new Node("n2", Map.of("role", "control"), List.of("192.168.1.2", "fd00:1::2"))));

    Tiers() {
        pod("x/a", "n1", "10.244.1.10", "fd00:244:1::10");
        pod("x/b", "n1", "10.244.1.11", "fd00:244:1::11");
        pod("y/a", "n2", "10.244.2.10", "fd00:244:2::10");
        pod("y/b", "n2", "10.244.2.11", "fd00:244:2::11");
    }

    Tiers pod(String ref, String node, String v4, String v6) {
        String[] name = ref.split("/");
        pods.add(new Pod(name[0], name[1], Map.of("pod", name[1]), node, false, PodPhase.RUNNING, false,
                List.of(v4, v6), List.of(ContainerPort.named("serve-80-tcp", 80, Protocol.TCP),
                ContainerPort.named("serve-81-tcp", 81, Protocol.TCP))));
        return this;
    }

    Tiers add(ClusterNetworkPolicy policy) {
        clusterPolicies.add(policy);
        return this;
    }

    /** A NetworkPolicy of namespace x selecting pod a, allowing ingress from every pod of every namespace. */
    Tiers networkPolicyAllowingIngressOfXa() {
        policies.add(new NetworkPolicy("x", "allow-a", LabelSelector.matchLabels(Map.of("pod", "a")), List.of("Ingress"),
                List.of(new PolicyRule(List.of(PolicyPeer.namespaces(LabelSelector.all())), List.of())), List.of()));
        return this;
    }

    /** A NetworkPolicy of namespace x selecting pod a, allowing ingress from nothing. */
    Tiers networkPolicyIsolatingIngressOfXa() {
        policies.add(new NetworkPolicy("x", "deny-a", LabelSelector.matchLabels(Map.of("pod", "a")), List.of("Ingress"),
                List.of(), List.of()));
        return this;
    }

    ClusterSnapshot snapshot() {
        return new ClusterSnapshot(namespaces, pods, policies, clusterPolicies, nodes);
    }

    Compilation compile(String node) {
        return new PolicyCompiler().compile(snapshot(), node);
    }

    Connection tcp(String from, String to, int port) {
        ClusterSnapshot snapshot = snapshot();
        ConnectionExplainer explainer = new ConnectionExplainer(snapshot,
                node -> new PolicyCompiler().compile(snapshot, node).ruleset());
        return explainer.explain(explainer.party(from), explainer.party(to), Protocol.TCP, port).get(0);
    }

    boolean allowed(String from, String to, int port) {
        return tcp(from, to, port).allowed();
    }

    /** The one-line verdict of the table that dropped the connection, or of the last one. */
    String summary(String from, String to, int port) {
        Connection c = tcp(from, to, port);
        return TraceText.summary(c.droppedAt().orElse(c.hops().get(c.hops().size() - 1)).trace());
    }

    // Building ClusterNetworkPolicy objects as they are written.

    static ClusterNetworkPolicy admin(String name, int priority, ClusterNetworkPolicy.Subject subject,
                                      List<ClusterNetworkPolicy.Rule> ingress, List<ClusterNetworkPolicy.Rule> egress) {
        return new ClusterNetworkPolicy(name, "Admin", priority, subject, ingress, egress);
    }

    static ClusterNetworkPolicy baseline(String name, int priority, ClusterNetworkPolicy.Subject subject,
                                         List<ClusterNetworkPolicy.Rule> ingress, List<ClusterNetworkPolicy.Rule> egress) {
        return new ClusterNetworkPolicy(name, "Baseline", priority, subject, ingress, egress);
    }

    /** Pods labelled pod=NAME in namespace NS. */
    static ClusterNetworkPolicy.Subject pod(String ns, String name) {
        return ClusterNetworkPolicy.Subject.ofPods(labels("ns=" + ns), labels("pod=" + name));
    }

    static ClusterNetworkPolicy.Subject namespace(String ns) {
        return ClusterNetworkPolicy.Subject.ofNamespaces(labels("ns=" + ns));
    }

    static ClusterNetworkPolicy.Rule rule(String action, List<Peer> peers, ClusterNetworkPolicy.Protocol... protocols) {
        return ClusterNetworkPolicy.Rule.of(action, peers, protocols);
    }

    static Peer podsOf(String ns, String name) {
        return Peer.pods(labels("ns=" + ns), labels("pod=" + name));
    }

    static Peer namespacePeer(String ns) {
        return Peer.namespaces(labels("ns=" + ns));
    }

    static Peer everyNamespace() {
        return Peer.namespaces(LabelSelector.all());
    }

    static LabelSelector labels(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String kv : keyValues) {
            String[] parts = kv.split("=", 2);
            map.put(parts[0], parts[1]);
        }
        return LabelSelector.matchLabels(map);
    }
}
