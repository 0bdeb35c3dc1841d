package io.nftpolicy.backend.sync;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.UnaryOperator;

/** Cluster snapshots for the sync specifications: the README's demo, generated clusters, and edits of both. */
final class Snapshots {
    static final String NODE = "node-1";
    private static final PolicyCompiler COMPILER = new PolicyCompiler();

    private Snapshots() {}

    static Ruleset compile(ClusterSnapshot snapshot, String node) {
        return COMPILER.compile(snapshot, node).ruleset();
    }

    static Ruleset compile(ClusterSnapshot snapshot) {
        return compile(snapshot, NODE);
    }

    /**
     * samples/demo/cluster.yaml, as objects (the YAML reader lives in the operator module): dev/db isolated for
     * ingress and egress by dev/test-network-policy, on node-1 with dev/frontend and other/client.
     */
    static ClusterSnapshot demo() {
        List<ContainerPort> ports = List.of(new ContainerPort("", 6379, Protocol.TCP), new ContainerPort("", 5978, Protocol.TCP));
        List<Namespace> namespaces = List.of(new Namespace("dev", Map.of()),
                new Namespace("myproject", Map.of("project", "myproject")), new Namespace("other", Map.of()),
                new Namespace("external", Map.of()), new Namespace("legacy", Map.of()));
        NetworkPolicy policy = new NetworkPolicy("dev", "test-network-policy",
                LabelSelector.matchLabels(Map.of("role", "db")), List.of("Ingress", "Egress"),
                List.of(new PolicyRule(List.of(PolicyPeer.ipBlock("172.17.0.0/16", "172.17.1.0/24"),
                        PolicyPeer.namespaces(LabelSelector.matchLabels(Map.of("project", "myproject"))),
                        PolicyPeer.pods(LabelSelector.matchLabels(Map.of("role", "frontend")))),
                        List.of(PolicyPort.tcp(6379)))),
                List.of(new PolicyRule(List.of(PolicyPeer.ipBlock("10.0.0.0/24")), List.of(PolicyPort.tcp(5978)))));
        List<Pod> pods = List.of(
                pod("dev/db", "node-1", "10.244.1.10", Map.of("role", "db"), ports),
                pod("dev/frontend", "node-1", "10.244.1.11", Map.of("role", "frontend"), ports),
                pod("dev/backend", "node-2", "10.244.2.12", Map.of("role", "backend"), ports),
                pod("myproject/client", "node-2", "10.244.2.20", Map.of("app", "client"), ports),
                pod("other/client", "node-1", "10.244.1.21", Map.of("app", "client"), ports),
                pod("external/in-range", "node-2", "172.17.0.5", Map.of("app", "outside"), ports),
                pod("external/excepted", "node-2", "172.17.1.5", Map.of("app", "outside"), ports),
                pod("legacy/backup", "node-2", "10.0.0.5", Map.of("app", "backup"), ports));
        return new ClusterSnapshot(namespaces, pods, List.of(policy));
    }

    static Pod pod(String ref, String node, String ip, Map<String, String> labels, List<ContainerPort> ports) {
        String[] parts = ref.split("/");
        return new Pod(parts[0], parts[1], labels, node, false, PodPhase.RUNNING, false, List.of(ip), ports);
    }

    /** A generated cluster: 6 namespaces of 12 pods on 3 nodes, 5 policies per namespace. */
    static ClusterSnapshot generated(long seed) {
        return ClusterGenerator.generate(new ClusterGenerator.Size(6, 12, 3, 5, seed));
    }

    static ClusterSnapshot withPod(ClusterSnapshot s, Pod pod) {
        List<Pod> pods = new ArrayList<>(s.pods());
        pods.add(pod);
        return new ClusterSnapshot(s.namespaces(), pods, s.policies());
    }

    static ClusterSnapshot mapPod(ClusterSnapshot s, String ref, UnaryOperator<Pod> change) {
        return new ClusterSnapshot(s.namespaces(), s.pods().stream()
                .map(p -> p.ref().equals(ref) ? change.apply(p) : p).toList(), s.policies());
    }

    static Pod relabelled(Pod p, Map<String, String> labels) {
        return new Pod(p.namespace(), p.name(), labels, p.nodeName(), p.hostNetwork(), p.phase(), p.terminating(),
                p.ips(), p.ports());
    }

    static ClusterSnapshot withoutPolicy(ClusterSnapshot s, String ref) {
        return new ClusterSnapshot(s.namespaces(), s.pods(),
                s.policies().stream().filter(p -> !p.ref().equals(ref)).toList());
    }

    static ClusterSnapshot withPolicy(ClusterSnapshot s, NetworkPolicy policy) {
        List<NetworkPolicy> policies = new ArrayList<>(s.policies());
        policies.add(policy);
        return new ClusterSnapshot(s.namespaces(), s.pods(), policies);
    }

    /** Random edits of a cluster, as the agent sees them over time: labels, pods, policies, namespaces. */
    static final class Mutator {
        private final Random random;
        private int next;

        Mutator(long seed) {
            this.random = new Random(seed);
        }

        /** One random edit, described in {@code log}. */
        ClusterSnapshot mutate(ClusterSnapshot s, List<String> log) {
            switch (random.nextInt(9)) {
                case 0 -> {
                    Pod p = any(s.pods());
                    Map<String, String> labels = new HashMap<>(p.labels());
                    labels.put("app", "app-" + random.nextInt(10));
                    labels.put("tier", List.of("frontend", "backend", "db").get(random.nextInt(3)));
                    log.add("relabel " + p.ref() + " " + labels);
                    return mapPod(s, p.ref(), q -> relabelled(q, labels));
                }
                case 1 -> {
                    Namespace ns = any(s.namespaces());
                    int n = next++;
                    String node = ClusterGenerator.nodeName(random.nextInt(3));
                    List<String> ips = new ArrayList<>(List.of("10.99." + (n / 200) + "." + (n % 200 + 2)));
                    if (random.nextInt(3) == 0) {
                        ips.add("fd00:99::" + Integer.toHexString(n + 2));
                    }
                    Pod p = new Pod(ns.name(), "added-" + n, Map.of("app", "app-" + random.nextInt(10),
                            "tier", "frontend"), node, false, PodPhase.RUNNING, false, ips,
                            List.of(new ContainerPort("http", random.nextBoolean() ? 80 : 8080, Protocol.TCP),
                                    new ContainerPort("metrics", 9090, Protocol.TCP),
                                    new ContainerPort("dns", 53, Protocol.UDP)));
                    log.add("add pod " + p.ref() + " on " + node + " " + ips);
                    return withPod(s, p);
                }
                case 2 -> {
                    Pod p = any(s.pods());
                    log.add("remove pod " + p.ref());
                    return new ClusterSnapshot(s.namespaces(), s.pods().stream().filter(q -> q != p).toList(),
                            s.policies());
                }
                case 3 -> {
                    Pod p = any(s.pods());
                    log.add("pod " + p.ref() + " succeeded");
                    return mapPod(s, p.ref(), q -> new Pod(q.namespace(), q.name(), q.labels(), q.nodeName(), false,
                            PodPhase.SUCCEEDED, false, q.ips(), q.ports()));
                }
                case 4 -> {
                    if (s.policies().isEmpty()) {
                        return s;
                    }
                    NetworkPolicy p = any(s.policies());
                    log.add("remove policy " + p.ref());
                    return withoutPolicy(s, p.ref());
                }
                case 5 -> {
                    Namespace ns = any(s.namespaces());
                    int n = next++;
                    NetworkPolicy p = new NetworkPolicy(ns.name(), "added-" + n,
                            LabelSelector.matchLabels(Map.of("app", "app-" + random.nextInt(10))),
                            List.of("Ingress", "Egress"),
                            List.of(new PolicyRule(peers(), List.of(PolicyPort.tcp(1000 + random.nextInt(50))))),
                            List.of(new PolicyRule(List.of(PolicyPeer.ipBlock("192.168." + random.nextInt(4) + ".0/24")),
                                    List.of(PolicyPort.named("TCP", "http")))));
                    log.add("add policy " + p.ref());
                    return withPolicy(s, p);
                }
                case 6 -> {
                    // A policy's ports change: same groups and sets, different rules.
                    if (s.policies().isEmpty()) {
                        return s;
                    }
                    NetworkPolicy p = any(s.policies());
                    int port = 2000 + random.nextInt(100);
                    List<PolicyRule> ingress = p.ingress().stream()
                            .map(r -> new PolicyRule(r.peers(), List.of(PolicyPort.tcp(port)))).toList();
                    log.add("policy " + p.ref() + " ingress ports -> " + port);
                    NetworkPolicy changed = new NetworkPolicy(p.namespace(), p.name(), p.podSelector(), p.policyTypes(),
                            ingress, p.egress());
                    return new ClusterSnapshot(s.namespaces(), s.pods(),
                            s.policies().stream().map(q -> q == p ? changed : q).toList());
                }
                case 7 -> {
                    Namespace ns = any(s.namespaces());
                    Map<String, String> labels = new HashMap<>(ns.labels());
                    labels.remove(Namespace.NAME_LABEL);
                    labels.put("team", "team-" + random.nextInt(5));
                    labels.put("env", random.nextBoolean() ? "prod" : "dev");
                    log.add("namespace " + ns.name() + " " + labels);
                    return new ClusterSnapshot(s.namespaces().stream()
                            .map(n -> n == ns ? new Namespace(n.name(), labels) : n).toList(), s.pods(), s.policies());
                }
                default -> {
                    // A pod moves to another node (a reschedule with the same address, as a worst case).
                    Pod p = any(s.pods());
                    String node = ClusterGenerator.nodeName(random.nextInt(3));
                    log.add("pod " + p.ref() + " to " + node);
                    return mapPod(s, p.ref(), q -> new Pod(q.namespace(), q.name(), q.labels(), node, false,
                            q.phase(), false, q.ips(), q.ports()));
                }
            }
        }

        /** Usually one pod peer; sometimes more peers than a chain takes rules for, which gives merged sets. */
        private List<PolicyPeer> peers() {
            List<PolicyPeer> peers = new ArrayList<>();
            peers.add(PolicyPeer.pods(LabelSelector.matchLabels(Map.of("tier", "frontend"))));
            if (random.nextInt(3) == 0) {
                for (int i = 0; i < 9; i++) {
                    peers.add(PolicyPeer.ipBlock("172.20." + (random.nextInt(8) * 16 + i) + ".0/24"));
                }
            }
            return peers;
        }

        private <T> T any(List<T> list) {
            return list.get(random.nextInt(list.size()));
        }
    }
}
