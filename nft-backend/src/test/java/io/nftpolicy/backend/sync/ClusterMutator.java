package io.nftpolicy.backend.sync;

import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.ipBlock;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.named;
import static io.nftpolicy.testing.Policies.pods;
import static io.nftpolicy.testing.Policies.policy;
import static io.nftpolicy.testing.Policies.rule;
import static io.nftpolicy.testing.Policies.tcp;
import static io.nftpolicy.testing.Policies.withIngress;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.testing.PodFixture;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Random edits of a cluster, as the agent sees them over time: labels, pods, policies, namespaces. */
final class ClusterMutator {
    private final Random random;
    private int next;

    ClusterMutator(long seed) {
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
                return cluster(s).changePod(p.ref(), q -> PodFixture.from(q).labels(labels).build()).snapshot();
            }
            case 1 -> {
                Namespace ns = any(s.namespaces());
                int n = next++;
                String node = ClusterGenerator.nodeName(random.nextInt(3));
                List<String> ips = new ArrayList<>(List.of("10.99." + (n / 200) + "." + (n % 200 + 2)));
                if (random.nextInt(3) == 0) {
                    ips.add("fd00:99::" + Integer.toHexString(n + 2));
                }
                Pod p = pod(ns.name() + "/added-" + n).on(node).ips(ips.toArray(String[]::new))
                        .labels("app=app-" + random.nextInt(10), "tier=frontend")
                        .port("http", random.nextBoolean() ? 80 : 8080, Protocol.TCP)
                        .port("metrics", 9090, Protocol.TCP).port("dns", 53, Protocol.UDP).build();
                log.add("add pod " + p.ref() + " on " + node + " " + ips);
                return cluster(s).add(p).snapshot();
            }
            case 2 -> {
                Pod p = any(s.pods());
                log.add("remove pod " + p.ref());
                return cluster(s).withoutPod(p.ref()).snapshot();
            }
            case 3 -> {
                Pod p = any(s.pods());
                log.add("pod " + p.ref() + " succeeded");
                return cluster(s).changePod(p.ref(), q -> PodFixture.from(q).phase(PodPhase.SUCCEEDED).build())
                        .snapshot();
            }
            case 4 -> {
                if (s.policies().isEmpty()) {
                    return s;
                }
                NetworkPolicy p = any(s.policies());
                log.add("remove policy " + p.ref());
                return cluster(s).withoutPolicy(p.ref()).snapshot();
            }
            case 5 -> {
                Namespace ns = any(s.namespaces());
                int n = next++;
                NetworkPolicy p = policy(ns.name() + "/added-" + n, labels("app=app-" + random.nextInt(10)),
                        List.of("Ingress", "Egress"),
                        List.of(rule(peers(), List.of(tcp(1000 + random.nextInt(50))))),
                        List.of(rule(List.of(ipBlock("192.168." + random.nextInt(4) + ".0/24")),
                                List.of(named("TCP", "http")))));
                log.add("add policy " + p.ref());
                return cluster(s).policy(p).snapshot();
            }
            case 6 -> {
                // A policy's ports change: same groups and sets, different rules.
                if (s.policies().isEmpty()) {
                    return s;
                }
                NetworkPolicy p = any(s.policies());
                int port = 2000 + random.nextInt(100);
                List<PolicyRule> ingress = p.ingress().stream().map(r -> rule(r.peers(), List.of(tcp(port)))).toList();
                log.add("policy " + p.ref() + " ingress ports -> " + port);
                return cluster(s).changePolicy(p.ref(), q -> withIngress(q, ingress)).snapshot();
            }
            case 7 -> {
                Namespace ns = any(s.namespaces());
                Map<String, String> labels = new HashMap<>(ns.labels());
                labels.remove(Namespace.NAME_LABEL);
                labels.put("team", "team-" + random.nextInt(5));
                labels.put("env", random.nextBoolean() ? "prod" : "dev");
                log.add("namespace " + ns.name() + " " + labels);
                return cluster(s).relabelNamespace(ns.name(), labels).snapshot();
            }
            default -> {
                // A pod moves to another node (a reschedule with the same address, as a worst case).
                Pod p = any(s.pods());
                String node = ClusterGenerator.nodeName(random.nextInt(3));
                log.add("pod " + p.ref() + " to " + node);
                return cluster(s).changePod(p.ref(), q -> PodFixture.from(q).on(node).build()).snapshot();
            }
        }
    }

    /** Usually one pod peer; sometimes more peers than a chain takes rules for, which gives merged sets. */
    private List<PolicyPeer> peers() {
        List<PolicyPeer> peers = new ArrayList<>();
        peers.add(pods(labels("tier=frontend")));
        if (random.nextInt(3) == 0) {
            for (int i = 0; i < 9; i++) {
                peers.add(ipBlock("172.20." + (random.nextInt(8) * 16 + i) + ".0/24"));
            }
        }
        return peers;
    }

    private <T> T any(List<T> list) {
        return list.get(random.nextInt(list.size()));
    }
}
