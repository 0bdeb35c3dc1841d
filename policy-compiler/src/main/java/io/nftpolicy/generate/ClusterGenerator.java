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
 * spread over the nodes at random. Each node owns an equal block of 10.64.0.0/10 ({@link #nodeCidr}): a /18 up to
 * 256 nodes, one bit longer at each doubling above, down to a /24 at 16,384 nodes (5,000 nodes get a /23 each). A
 * pod's address is .2 to .251 of a /24 of its node's block, so every /24 stays on one node and keeps .1 for a
 * gateway (as the lab wires pods).
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
                        + " (each node owns at least a /24 of 10.64.0.0/10)");
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

        /** How many pods one node's block has addresses for (250 in each of its /24s). */
        public int addressesPerNode() {
            return (1 << (24 - nodePrefixLength(nodes))) * ADDRESSES_PER_24;
        }
    }

    private static final int APPS_PER_NAMESPACE = 10;
    /** 10.64.0.0/10, the pool every node's block is cut from. */
    private static final int POOL_BASE = (10 << 24) | (64 << 16);
    private static final int POOL_PREFIX = 10;
    /** The block of a node when there are few: a /18, 16,000 pods. */
    private static final int LARGEST_NODE_PREFIX = 18;
    /** The smallest block, a /24, sets the most nodes. */
    private static final int MAX_NODES = 1 << (24 - POOL_PREFIX);
    /** .2 to .251 of each /24: .0, .1 (a gateway) and .252 to .255 are never a pod's. */
    private static final int ADDRESSES_PER_24 = 250;
    private static final String[] TIERS = {"frontend", "backend", "db"};

    private ClusterGenerator() {}

    /** The node name of node i, as the generator assigns pods to nodes. */
    public static String nodeName(int i) {
        return "node-" + i;
    }

    /** The block of 10.64.0.0/10 that node i's pods take their addresses from, in a cluster of {@code nodes}. */
    public static String nodeCidr(int node, int nodes) {
        if (node < 0 || node >= nodes) {
            throw new IllegalArgumentException("node " + node + " is not one of " + nodes);
        }
        int length = nodePrefixLength(nodes);
        return dotted(blockBase(node, length)) + "/" + length;
    }

    /** The prefix length of each node's block: /18 up to 256 nodes, one bit longer at each doubling above. */
    private static int nodePrefixLength(int nodes) {
        int length = LARGEST_NODE_PREFIX;
        while ((1 << (length - POOL_PREFIX)) < nodes) {
            length++;
        }
        return length;
    }

    private static int blockBase(int node, int nodePrefixLength) {
        return POOL_BASE + node * (1 << (32 - nodePrefixLength));
    }

    public static ClusterSnapshot generate(Size size) {
        Random random = new Random(size.seed());
        List<Namespace> namespaces = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        List<NetworkPolicy> policies = new ArrayList<>();
        int[] podsOnNode = new int[size.nodes()];
        int addressesPerNode = size.addressesPerNode();
        int nodePrefixLength = nodePrefixLength(size.nodes());
        for (int n = 0; n < size.namespaces(); n++) {
            String ns = "ns-" + n;
            namespaces.add(new Namespace(ns, Map.of("team", "team-" + (n % 5), "env", n % 3 == 0 ? "prod" : "dev")));
            for (int p = 0; p < size.podsPerNamespace(); p++) {
                int node = random.nextInt(size.nodes());
                int slot = podsOnNode[node]++;
                if (slot >= addressesPerNode) {
                    throw new IllegalArgumentException("more than " + addressesPerNode + " pods on " + nodeName(node)
                            + ": use more nodes");
                }
                String ip = address(node, slot, nodePrefixLength);
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

    /** The slot-th address of node i's block: .2 to .251 of its first /24, then of the next. */
    private static String address(int node, int slot, int nodePrefixLength) {
        return dotted(blockBase(node, nodePrefixLength) + (slot / ADDRESSES_PER_24) * 256 + 2 + slot % ADDRESSES_PER_24);
    }

    private static String dotted(int address) {
        return (address >>> 24) + "." + (address >>> 16 & 0xff) + "." + (address >>> 8 & 0xff) + "." + (address & 0xff);
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
