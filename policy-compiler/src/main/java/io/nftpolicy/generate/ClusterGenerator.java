package io.nftpolicy.generate;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.policy.IpBlock;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * Generates a cluster of a given size with a realistic mix of policies, deterministically from a seed: the same
 * sizes and seed give the same snapshot. Used by tests, benchmarks and {@code nftpolicy generate}.
 *
 * <p>Each namespace has a default-deny policy (ingress), then policies selecting one app each, cycling through five
 * shapes: pods of a tier (matchLabels and an Exists expression) on a named port and a number; pods of two tiers
 * (In) in one team's namespaces on an endPort range and UDP 53; an ipBlock with except plus namespaces (NotIn) on a
 * named port; ingress from every pod with egress to an ipBlock with two excepts and to a team's namespaces on named
 * ports; pods of one app (DoesNotExist) on TCP 80 and SCTP. Named ports differ between pods: half the pods serve
 * "http" on 8080, half on 80. Every pod has the labels app, tier and version, every namespace team and env.
 *
 * <p>Sizes: policies scale with namespaces ({@code policiesPerNamespace}, default-deny included), and pods are
 * spread over the nodes at random, each node owning a /18 of 10.64.0.0/10.
 */
public final class ClusterGenerator {

    /** Sizes of a generated cluster. */
    public record Size(int namespaces, int podsPerNamespace, int nodes, int policiesPerNamespace, long seed) {
        public Size {
            requireAtLeast("namespaces", namespaces, 1);
            requireAtLeast("podsPerNamespace", podsPerNamespace, 0);
            requireAtLeast("nodes", nodes, 1);
            if (nodes > MAX_NODES) {
                throw new IllegalArgumentException("nodes: " + nodes + " is above " + MAX_NODES
                        + " (each node owns a /18 of 10.64.0.0/10)");
            }
            // The default-deny policy is one of them.
            requireAtLeast("policiesPerNamespace", policiesPerNamespace, 1);
        }

        private static void requireAtLeast(String field, int value, int minimum) {
            if (value < minimum) {
                throw new IllegalArgumentException(field + ": " + value + " is below " + minimum);
            }
        }

        public int pods() {
            return namespaces * podsPerNamespace;
        }

        public int policies() {
            return namespaces * policiesPerNamespace;
        }
    }

    private static final int APPS_PER_NAMESPACE = 10;
    private static final int MAX_NODES = 256;
    private static final int ADDRESSES_PER_NODE = 64 * 250;
    private static final String[] TIERS = {"frontend", "backend", "db"};

    private ClusterGenerator() {}

    /** The node name of node i, as the generator assigns pods to nodes. */
    public static String nodeName(int i) {
        return "node-" + i;
    }

    public static ClusterSnapshot generate(Size size) {
        Random random = new Random(size.seed());
        List<Namespace> namespaces = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        List<NetworkPolicy> policies = new ArrayList<>();
        int[] podsOnNode = new int[size.nodes()];
        for (int n = 0; n < size.namespaces(); n++) {
            String ns = "ns-" + n;
            namespaces.add(new Namespace(ns, Map.of("team", "team-" + (n % 5), "env", n % 3 == 0 ? "prod" : "dev")));
            for (int p = 0; p < size.podsPerNamespace(); p++) {
                int node = random.nextInt(size.nodes());
                int slot = podsOnNode[node]++;
                if (slot >= ADDRESSES_PER_NODE) {
                    throw new IllegalArgumentException("more than " + ADDRESSES_PER_NODE + " pods on " + nodeName(node)
                            + ": use more nodes");
                }
                String ip = address(node, slot);
                int app = p % APPS_PER_NAMESPACE;
                List<ContainerPort> ports = List.of(
                        new ContainerPort("http", random.nextBoolean() ? 8080 : 80, Protocol.TCP),
                        new ContainerPort("metrics", 9090, Protocol.TCP),
                        new ContainerPort("dns", 53, Protocol.UDP));
                pods.add(new Pod(ns, "pod-" + p, Map.of("app", "app-" + app, "tier", TIERS[app % 3],
                        "version", "v" + (p % 2)), nodeName(node), false, PodPhase.RUNNING, false, List.of(ip), ports));
            }
            policies.add(new NetworkPolicy(ns, "default-deny", LabelSelector.all(), List.of("Ingress"),
                    List.of(), List.of()));
            for (int k = 1; k < size.policiesPerNamespace(); k++) {
                policies.add(policy(ns, k, size, random));
            }
        }
        return new ClusterSnapshot(namespaces, pods, policies);
    }

    private static PolicyPeer blockWithExcept(String firstTwoOctets) {
        return new PolicyPeer(Optional.empty(), Optional.empty(), Optional.of(
                new IpBlock(firstTwoOctets + ".0.0/16", List.of(firstTwoOctets + ".1.0/24"))));
    }

    /** Node i owns a /18 inside 10.64.0.0/10: room for 16k pods per node and 4k nodes. */
    private static String address(int node, int slot) {
        int second = 64 + node / 4;
        int third = (node % 4) * 64 + slot / 250;
        int fourth = 2 + slot % 250;
        return "10." + second + "." + third + "." + fourth;
    }

    private static NetworkPolicy policy(String ns, int k, Size size, Random random) {
        LabelSelector subject = LabelSelector.matchLabels(Map.of("app", "app-" + (k % APPS_PER_NAMESPACE)));
        List<PolicyRule> ingress = new ArrayList<>();
        List<PolicyRule> egress = new ArrayList<>();
        List<String> types = new ArrayList<>(List.of("Ingress"));
        switch (k % 5) {
            case 1 -> ingress.add(new PolicyRule(
                    List.of(PolicyPeer.pods(new LabelSelector(Map.of("tier", "frontend"),
                            List.of(new LabelSelector.Requirement("version", "Exists", List.of()))))),
                    List.of(PolicyPort.named("TCP", "http"), PolicyPort.tcp(443))));
            case 2 -> ingress.add(new PolicyRule(
                    List.of(PolicyPeer.podsInNamespaces(
                            new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement("tier", "In",
                                    List.of("frontend", "backend")))),
                            LabelSelector.matchLabels(Map.of("team", "team-" + random.nextInt(5))))),
                    List.of(PolicyPort.range("TCP", 8000, 8999), PolicyPort.of("UDP", 53))));
            case 3 -> ingress.add(new PolicyRule(
                    List.of(blockWithExcept("172." + (16 + random.nextInt(16))),
                            PolicyPeer.namespaces(new LabelSelector(Map.of(), List.of(
                                    new LabelSelector.Requirement("env", "NotIn", List.of("dev")))))),
                    List.of(PolicyPort.named("TCP", "metrics"))));
            case 4 -> {
                types.add("Egress");
                String second = "172." + (16 + random.nextInt(16));
                ingress.add(new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.all())), List.of()));
                egress.add(new PolicyRule(
                        List.of(PolicyPeer.ipBlock(second + ".0.0/16", second + ".1.0/24", second + ".200.0/24")),
                        List.of(PolicyPort.tcp(5978))));
                egress.add(new PolicyRule(
                        List.of(PolicyPeer.namespaces(LabelSelector.matchLabels(Map.of("team", "team-" + (k % 5))))),
                        List.of(PolicyPort.named("TCP", "http"), PolicyPort.named("UDP", "dns"))));
            }
            default -> ingress.add(new PolicyRule(
                    List.of(PolicyPeer.pods(new LabelSelector(
                            Map.of("app", "app-" + random.nextInt(APPS_PER_NAMESPACE)),
                            List.of(new LabelSelector.Requirement("canary", "DoesNotExist", List.of()))))),
                    List.of(PolicyPort.tcp(80), PolicyPort.of("SCTP", 9000))));
        }
        return new NetworkPolicy(ns, "policy-" + k, subject, types, ingress, egress);
    }
}
