package io.nftpolicy.enforcement;

import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.pods;
import static io.nftpolicy.testing.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.compile.DropLogs;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.lab.ConnectionRate;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What drop logging costs an allowed connection: the rate of short TCP connections between two pods of one node
 * whose ingress policy allows them, with the compiled table (a) and with the same table logging every drop (b), the
 * two loaded in turn, a b a b..., so that a change of machine load hits both; and (c) with accepts logged too (the
 * optional audit of allows), which does cost allowed connections a goto and a token bucket. The server's chain has 8 allow rules
 * and the allowed client matches the last, so its first packet walks the whole chain up to the log rule it never
 * reaches.
 *
 * <p>Not part of the test suite (the name does not end in Test): run it with
 * {@code mvn -B -pl lab -am test -Dtest=DropLogCostBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 * ({@code -Ddroplog.rounds=N}, default 12; rounds of 1.5 s).
 */
@KernelTest
class DropLogCostBenchmark {
    private static final int ROUNDS = Integer.getInteger("droplog.rounds", 12);
    private static final Duration ROUND = Duration.ofMillis(1500);
    private static final String NODE = "n1";

    @Test
    void compareWithAndWithoutDropLogs() throws Exception {
        ClusterSnapshot snapshot = snapshot();
        Ruleset compiled = new PolicyCompiler().compile(snapshot, NODE).ruleset();
        Ruleset logged = new DropLogs(DropLogs.Options.defaults(true)).apply(compiled, snapshot);
        assertThat(logged).isNotSameAs(compiled);
        Map<String, String> tables = new LinkedHashMap<>();
        tables.put("(a) compiled", NftRenderer.render(new EstablishedFlows().apply(compiled)));
        tables.put("(b) compiled, every drop logged", NftRenderer.render(new EstablishedFlows().apply(logged)));
        Ruleset audited = new DropLogs(new DropLogs.Options(true, DropLogs.Options.DEFAULT_GROUP, 10, 5, true))
                .apply(compiled, snapshot);
        tables.put("(c) drops and accepts logged", NftRenderer.render(new EstablishedFlows().apply(audited)));
        List<LabPod> labPods = new ArrayList<>();
        labPods.add(new LabPod("bench/server", NODE, List.of("10.244.1.3"), List.of(Endpoint.tcp(80))));
        labPods.add(new LabPod("bench/client7", NODE, List.of("10.244.1.17"), List.of()));
        labPods.add(new LabPod("bench/other", NODE, List.of("10.244.1.30"), List.of()));
        try (Lab lab = Lab.start(labPods, LabOptions.defaults().withPrefix("droplogb").withProbeTimeout(Duration.ofMillis(300)))) {
            for (String script : tables.values()) {
                lab.load(NODE, script);
                assertThat(lab.connects("bench/client7", "bench/server", Endpoint.tcp(80), IpFamily.IPV4)).isTrue();
                assertThat(lab.connects("bench/other", "bench/server", Endpoint.tcp(80), IpFamily.IPV4)).isFalse();
            }
            Map<String, List<Double>> allowed = new LinkedHashMap<>();
            Map<String, List<Double>> denied = new LinkedHashMap<>();
            tables.keySet().forEach(k -> allowed.put(k, new ArrayList<>()));
            tables.keySet().forEach(k -> denied.put(k, new ArrayList<>()));
            for (int round = 0; round <= ROUNDS; round++) {
                for (var table : tables.entrySet()) {
                    lab.load(NODE, table.getValue());
                    double rate = ConnectionRate.measure(lab, "bench/client7", "bench/server", Endpoint.tcp(80),
                            IpFamily.IPV4, ROUND).perSecond();
                    double drops = deniedDatagrams(lab);
                    if (round > 0) { // round 0 warms up
                        allowed.get(table.getKey()).add(rate);
                        denied.get(table.getKey()).add(drops);
                    }
                }
            }
            report("short TCP connections per second, allowed by rule 8 of 8", allowed);
            report("denied UDP datagrams sent per second (each a new flow's first packet, dropped)", denied);
        }
    }

    /**
     * Datagrams a denied pod sends in a round, per second. veth hands each to the receiving side within the send
     * call (the softirq runs as the call ends), so the sender's rate includes the node's forward path and its drop.
     * A dropped datagram leaves no conntrack entry: every one is {@code ct state new}, logged or counted.
     */
    private static double deniedDatagrams(Lab lab) throws Exception {
        return lab.callIn("bench/other", () -> {
            try (java.net.DatagramSocket socket = new java.net.DatagramSocket()) {
                java.net.DatagramPacket packet = new java.net.DatagramPacket(new byte[16], 16,
                        new java.net.InetSocketAddress("10.244.1.3", 9999));
                long end = System.nanoTime() + ROUND.toNanos();
                long start = System.nanoTime();
                long sent = 0;
                while (System.nanoTime() < end) {
                    socket.send(packet);
                    sent++;
                }
                return sent / ((System.nanoTime() - start) / 1e9);
            }
        });
    }

    private static void report(String what, Map<String, List<Double>> rates) {
        System.out.printf("%s, one node, %d rounds of %d ms%n", what, ROUNDS, ROUND.toMillis());
        rates.forEach((k, v) -> System.out.printf("  %-34s median %8.0f/s  [%.0f-%.0f]%n", k, median(v),
                v.stream().mapToDouble(d -> d).min().orElse(0), v.stream().mapToDouble(d -> d).max().orElse(0)));
        List<Double> a = rates.get("(a) compiled");
        for (var entry : rates.entrySet()) {
            if (entry.getValue() == a) {
                continue;
            }
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < a.size(); i++) {
                ratios.add(entry.getValue().get(i) / a.get(i));
            }
            System.out.printf("  %s/(a) round by round: median %.3f [%.3f-%.3f]%n", entry.getKey().substring(0, 3),
                    median(ratios), ratios.stream().mapToDouble(d -> d).min().orElse(0),
                    ratios.stream().mapToDouble(d -> d).max().orElse(0));
        }
    }

    /** The server allows 8 client pods, one rule each (distinct labels); client 7 is matched by the last rule. */
    private static ClusterSnapshot snapshot() {
        List<Pod> pods = new ArrayList<>();
        pods.add(new Pod("bench", "server", Map.of("app", "server"), NODE, false, PodPhase.RUNNING, false,
                List.of("10.244.1.3"), List.of(ContainerPort.named("http", 80, io.nftpolicy.cluster.Protocol.TCP))));
        pods.add(new Pod("bench", "other", Map.of("app", "other"), NODE, false, PodPhase.RUNNING, false,
                List.of("10.244.1.30"), List.of()));
        List<PolicyRule> rules = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            pods.add(new Pod("bench", "client" + i, Map.of("app", "client" + i), NODE, false, PodPhase.RUNNING, false,
                    List.of("10.244.1." + (10 + i)), List.of()));
            rules.add(new PolicyRule(List.of(pods(labels("app=client" + i))), List.of(tcp(80))));
        }
        return new ClusterSnapshot(List.of(new Namespace("bench", Map.of())), pods,
                List.of(ingress("bench/server-ingress", labels("app=server"), rules.toArray(PolicyRule[]::new))));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }
}
