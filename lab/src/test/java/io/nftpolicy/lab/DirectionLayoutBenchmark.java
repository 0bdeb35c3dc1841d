package io.nftpolicy.lab;

import static io.nftpolicy.testing.Clusters.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Which costs less per new connection: the compiled layout (one forward base chain; egress chains return on allow
 * so that ingress is still checked) or one base chain per direction (egress at priority 0 accepting on allow,
 * ingress at priority 1)? Both are loaded in turn into the same node and the rate of short TCP connections
 * (connect, one answer, close) between two pods of that node is measured, alternating A, B, A, B.
 *
 * <p>Not part of the test suite (the name does not end in Test): run it with
 * {@code mvn -B -pl lab -am test -Dtest=DirectionLayoutBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
@KernelTest
class DirectionLayoutBenchmark {
    private static final int ROUNDS = 8;
    private static final long ROUND_MILLIS = 1500;

    @Test
    void compareLayouts() throws Exception {
        ClusterSnapshot snapshot = snapshot();
        Ruleset compiled = new PolicyCompiler().compile(snapshot, "node-1").ruleset();
        String single = NftRenderer.render(compiled);
        String perDirection = NftRenderer.render(perDirection(compiled));
        List<LabPod> pods = List.of(
                new LabPod("bench/client", "node-1", List.of("10.244.1.2"), List.of()),
                new LabPod("bench/server", "node-1", List.of("10.244.1.3"), List.of(Endpoint.tcp(80))));
        try (Lab lab = Lab.start(pods)) {
            Map<String, String> layouts = new java.util.LinkedHashMap<>();
            layouts.put("no ruleset", "");
            layouts.put("single forward chain, egress returns", single);
            layouts.put("one base chain per direction", perDirection);
            for (String script : layouts.values()) {
                lab.load("node-1", script);
                assertThat(lab.connects("bench/client", "bench/server", Endpoint.tcp(80), IpFamily.IPV4)).isTrue();
            }
            Map<String, List<Double>> rates = new java.util.LinkedHashMap<>();
            layouts.keySet().forEach(k -> rates.put(k, new ArrayList<>()));
            for (int round = 0; round < ROUNDS; round++) {
                for (var layout : layouts.entrySet()) {
                    lab.load("node-1", layout.getValue());
                    rates.get(layout.getKey()).add(ConnectionRate.measure(lab, "bench/client", "bench/server", Endpoint.tcp(80),
                            IpFamily.IPV4, Duration.ofMillis(ROUND_MILLIS)).perSecond());
                }
            }
            double baseline = median(rates.get("no ruleset"));
            System.out.printf("short TCP connections per second, client and server on one node, median of %d rounds of %d ms%n",
                    ROUNDS, ROUND_MILLIS);
            for (var entry : rates.entrySet()) {
                double m = median(entry.getValue());
                System.out.printf("  %-40s %8.0f /s  ratio to no ruleset %.3f  rounds %s%n", entry.getKey(), m, m / baseline,
                        entry.getValue().stream().map(r -> String.format("%.0f", r)).toList());
            }
        }
    }

    /** The same policies with one base chain per direction: egress chains accept, ingress runs at priority 1. */
    static Ruleset perDirection(Ruleset compiled) {
        List<Chain> chains = new ArrayList<>();
        for (Chain c : compiled.chains()) {
            if (c.name().equals("filter-forward")) {
                List<Rule> egress = new ArrayList<>();
                List<Rule> ingress = new ArrayList<>();
                for (Rule r : c.rules()) {
                    boolean dispatch = r.statement().contains(" vmap ");
                    if (!dispatch || r.statement().contains("@egress-")) {
                        egress.add(r);
                    }
                    if (!dispatch || r.statement().contains("@ingress-")) {
                        ingress.add(r);
                    }
                }
                chains.add(new Chain("filter-egress", Optional.of(new BaseHook("forward", 0)), "egress", egress));
                chains.add(new Chain("filter-ingress", Optional.of(new BaseHook("forward", 1)), "ingress", ingress));
            } else if (c.name().startsWith("egr-")) {
                chains.add(new Chain(c.name(), c.hook(), c.comment(), c.rules().stream()
                        .map(r -> new Rule(r.statement().replaceAll(" return$", " accept"), r.comment(), r.sources()))
                        .toList()));
            } else {
                chains.add(c);
            }
        }
        return new Ruleset(compiled.family(), compiled.table(), compiled.comment(), compiled.sets(), compiled.maps(), chains);
    }

    private static ClusterSnapshot snapshot() {
        List<ContainerPort> http = List.of(ContainerPort.named("http", 80, Protocol.TCP));
        Pod client = pod("bench/client").on("node-1").ips("10.244.1.2").labels("app=client").build();
        Pod server = pod("bench/server").on("node-1").ips("10.244.1.3").labels("app=server").ports(http).build();
        NetworkPolicy serverIngress = new NetworkPolicy("bench", "server-ingress", LabelSelector.matchLabels(Map.of("app", "server")),
                List.of("Ingress"), List.of(new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.matchLabels(Map.of("app", "client")))),
                List.of(PolicyPort.tcp(80)))), List.of());
        NetworkPolicy clientEgress = new NetworkPolicy("bench", "client-egress", LabelSelector.matchLabels(Map.of("app", "client")),
                List.of("Egress"), List.of(), List.of(new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.matchLabels(Map.of("app", "server")))),
                List.of(PolicyPort.named("TCP", "http")))));
        return new ClusterSnapshot(List.of(new Namespace("bench", Map.of())), List.of(client, server),
                List.of(serverIngress, clientEgress));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
