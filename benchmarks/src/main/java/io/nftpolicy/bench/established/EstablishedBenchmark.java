package io.nftpolicy.bench.established;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.lab.EchoServer;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Ruleset;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What re-judging established flows costs and how fast it cuts ({@link EstablishedFlows}), on the kernel, in one
 * run with the layouts interleaved round by round. Needs root; run with {@code bin/bench established [rounds]}.
 *
 * <ul>
 *   <li><b>Established traffic</b>: request/response round trips per second over one open TCP connection and one
 *       UDP flow, client and server pods on one node and on two nodes, with (a) today's table, whose first rule
 *       accepts every established packet, and (b) the table that re-checks flows of older generations, whose first
 *       rule also compares the flow's mark with the generation. (b)/(a) per round, median.</li>
 *   <li><b>Cut latency</b>: a TCP connection and a UDP flow, each sending every millisecond, then a change that
 *       denies them: from the end of the apply to the last message the server received, and to the reset the TCP
 *       client saw.</li>
 *   <li><b>Re-check burst</b>: 10,000 open UDP flows each send one message and wait for its echo; the time for
 *       all of them, right after a change that leaves them allowed (every flow walks the policy chains again and is
 *       re-stamped), against the same with no change in between.</li>
 * </ul>
 */
public final class EstablishedBenchmark {
    private static final Map<String, String> NODES = Map.of("t/client", "node-1", "t/server", "node-1",
            "t/far", "node-2", "t/bystander", "node-1");
    private static final Map<String, String> ADDRESSES = Map.of("t/client", "10.244.1.2", "t/server", "10.244.1.3",
            "t/far", "10.244.2.2", "t/bystander", "10.244.1.9");
    private static final int TCP_PORT = 9000;
    private static final int UDP_PORT = 9001;
    private static final long ROUND_NANOS = 2_000_000_000L;
    private static final int BURST_FLOWS = 10_000;
    private static final int WINDOW = 64;

    private final Lab lab;
    private final Map<String, RulesetApplier> appliers = new LinkedHashMap<>();
    private final List<Nftables> contexts = new ArrayList<>();

    private EstablishedBenchmark(Lab lab) throws Exception {
        this.lab = lab;
        for (String node : List.of("node-1", "node-2")) {
            Nftables nft = Nftables.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + node));
            contexts.add(nft);
            appliers.put(node, new RulesetApplier(new LibnftablesExecutor(nft)));
        }
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        List<LabPod> pods = new ArrayList<>();
        NODES.keySet().stream().sorted().forEach(p -> pods.add(new LabPod(p, NODES.get(p),
                List.of(ADDRESSES.get(p)), List.of())));
        try (Lab lab = Lab.start(pods)) {
            EstablishedBenchmark bench = new EstablishedBenchmark(lab);
            try {
                bench.run(rounds);
            } finally {
                bench.contexts.forEach(Nftables::close);
            }
        }
    }

    private void run(int rounds) throws Exception {
        System.out.printf(Locale.ROOT, "established flows: %d rounds, lab of %d pods on 2 nodes, %d CPUs%n", rounds,
                NODES.size(), Runtime.getRuntime().availableProcessors());
        Servers servers = new Servers();
        try {
            servers.start(lab);
            establishedTraffic(rounds, servers);
            cutLatency(rounds, servers);
            recheckBurst(rounds, servers);
        } finally {
            servers.close();
        }
    }

    // ---- established traffic ----

    private void establishedTraffic(int rounds, Servers servers) throws Exception {
        apply(true, false, 0);
        Map<String, List<Double>> ratios = new LinkedHashMap<>();
        Map<String, double[]> last = new LinkedHashMap<>();
        for (String to : List.of("t/server", "t/far")) {
            for (boolean udp : List.of(false, true)) {
                String label = (udp ? "UDP" : "TCP") + (to.equals("t/far") ? " across nodes" : " one node");
                try (PingPong flow = PingPong.open(lab, "t/client", ADDRESSES.get(to), udp ? UDP_PORT : TCP_PORT, udp)) {
                    for (int round = 0; round <= rounds; round++) {
                        double[] rate = new double[2];
                        // a, b, then b, a: the order alternates so that drift over the run cancels.
                        boolean[] order = round % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false};
                        for (boolean recheck : order) {
                            apply(true, !recheck, 0);
                            try {
                                rate[recheck ? 1 : 0] = flow.roundTripsPerSecond(ROUND_NANOS);
                            } catch (IOException e) {
                                throw new IOException(label + ", round " + round + ", " + (recheck ? "(b)" : "(a)")
                                        + ": " + e.getMessage(), e);
                            }
                        }
                        if (round > 0) { // round 0 warms up
                            ratios.computeIfAbsent(label, k -> new ArrayList<>()).add(rate[1] / rate[0]);
                            last.put(label, rate);
                        }
                    }
                }
            }
        }
        System.out.println("\nestablished traffic: round trips/s over one open flow, (a) established accepted first, "
                + "(b) re-checked by generation");
        ratios.forEach((label, r) -> System.out.printf(Locale.ROOT,
                "  %-20s (b)/(a) median %.3f (rounds %s); last round a %.0f/s, b %.0f/s%n", label, median(r),
                r.stream().map(x -> String.format(Locale.ROOT, "%.3f", x)).toList(), last.get(label)[0],
                last.get(label)[1]));
    }

    // ---- cut latency ----

    private void cutLatency(int rounds, Servers servers) throws Exception {
        List<Double> lastArrival = new ArrayList<>();
        List<Double> reset = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            apply(true, false, 0);
            String to = round % 2 == 0 ? "t/server" : "t/far";
            try (Streams streams = Streams.open(lab, servers, "t/client", ADDRESSES.get(to), TCP_PORT, UDP_PORT)) {
                streams.awaitTraffic();
                long applying = System.nanoTime();
                apply(false, false, 0);
                Thread.sleep(1000);
                lastArrival.add((servers.lastArrival(ADDRESSES.get("t/client")) - applying) / 1e6);
                reset.add(streams.resetNanos() == 0 ? Double.NaN : (streams.resetNanos() - applying) / 1e6);
            }
        }
        System.out.printf(Locale.ROOT, "%ncut latency over %d rounds (one node and across, alternating), from the start "
                        + "of the apply (both nodes' transactions included): last message the server got %s ms; TCP reset seen by the client %s ms%n",
                rounds, summary(lastArrival), summary(reset));
    }

    // ---- re-check burst ----

    private void recheckBurst(int rounds, Servers servers) throws Exception {
        apply(true, false, 0);
        InetSocketAddress server = new InetSocketAddress(ADDRESSES.get("t/server"), UDP_PORT);
        List<DatagramChannel> flows = new ArrayList<>(BURST_FLOWS);
        try (Selector selector = Selector.open()) {
            for (int i = 0; i < BURST_FLOWS; i++) {
                DatagramChannel channel = lab.callIn("t/client", () -> DatagramChannel.open().connect(server));
                channel.configureBlocking(false);
                channel.register(selector, SelectionKey.OP_READ);
                flows.add(channel);
            }
            burst(flows, selector); // every flow established and stamped
            List<Double> quiet = new ArrayList<>();
            List<Double> afterChange = new ArrayList<>();
            for (int round = 0; round <= rounds; round++) {
                for (boolean change : round % 2 == 0 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                    if (change) {
                        apply(true, false, round * 2 + 1); // a bystander's label changes: every flow is re-checked
                    }
                    double ms = burst(flows, selector) / 1e6;
                    if (round > 0) {
                        (change ? afterChange : quiet).add(ms);
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%nre-check burst: %,d open UDP flows send one message each and get its "
                            + "echo: no change before %s ms; right after a change (every flow judged again) %s ms; "
                            + "ratio of medians %.2f%n", BURST_FLOWS, summary(quiet), summary(afterChange),
                    median(afterChange) / median(quiet));
        } finally {
            for (DatagramChannel channel : flows) {
                channel.close();
            }
        }
    }

    /**
     * Sends one message on every flow and waits for every echo; nanoseconds. At most {@value #WINDOW} messages are
     * in flight, so no socket buffer overflows and every flow is measured, not the loss of a burst.
     */
    private static long burst(List<DatagramChannel> flows, Selector selector) throws IOException {
        ByteBuffer message = ByteBuffer.allocate(8);
        ByteBuffer echo = ByteBuffer.allocate(64);
        long start = System.nanoTime();
        long deadline = start + 30_000_000_000L;
        int sent = 0;
        int received = 0;
        while (received < flows.size() && System.nanoTime() < deadline) {
            while (sent < flows.size() && sent - received < WINDOW) {
                message.clear();
                flows.get(sent++).write(message);
            }
            selector.select(100);
            for (SelectionKey key : selector.selectedKeys()) {
                DatagramChannel channel = (DatagramChannel) key.channel();
                echo.clear();
                while (channel.read(echo) > 0) {
                    received++;
                    echo.clear();
                }
            }
            selector.selectedKeys().clear();
        }
        if (received < flows.size()) {
            throw new IllegalStateException("only " + received + " of " + flows.size() + " echoes within 30 s");
        }
        return System.nanoTime() - start;
    }

    /**
     * Applies the policy to both nodes: servers admit the client when {@code open}; {@code bystanderLabel} changes
     * a pod no policy is about, so the table changes while every verdict stays.
     */
    private void apply(boolean open, boolean keepEstablished, int bystanderLabel) throws Exception {
        PolicyCompiler compiler = new PolicyCompiler();
        for (Map.Entry<String, RulesetApplier> node : appliers.entrySet()) {
            Ruleset ruleset = compiler.compile(snapshot(open, bystanderLabel), node.getKey()).ruleset();
            if (!keepEstablished) {
                ruleset = new EstablishedFlows().apply(ruleset);
            }
            node.getValue().apply(ruleset);
        }
    }

    private static ClusterSnapshot snapshot(boolean open, int bystanderLabel) {
        List<Pod> pods = new ArrayList<>();
        NODES.keySet().stream().sorted().forEach(ref -> pods.add(new Pod("t", ref.substring(2),
                ref.equals("t/bystander") ? Map.of("app", "bystander", "round", Integer.toString(bystanderLabel))
                        : Map.of("app", ref.substring(2)),
                NODES.get(ref), false, PodPhase.RUNNING, false, List.of(ADDRESSES.get(ref)), List.of())));
        NetworkPolicy servers = new NetworkPolicy("t", "servers",
                new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement("app", "In", List.of("server", "far")))),
                List.of("Ingress"), List.of(new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.matchLabels(
                        Map.of("app", open ? "client" : "nobody")))), List.of(PolicyPort.tcp(TCP_PORT),
                        PolicyPort.of("UDP", UDP_PORT)))), List.of());
        // The bystander is a peer of a policy, so its label is in a set of the table.
        NetworkPolicy bystanders = new NetworkPolicy("t", "bystanders", LabelSelector.matchLabels(Map.of("app", "far")),
                List.of("Ingress"), List.of(new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.matchLabels(
                        Map.of("round", Integer.toString(bystanderLabel))))), List.of(PolicyPort.tcp(1)))), List.of());
        return new ClusterSnapshot(List.of(new Namespace("t", Map.of())), pods, List.of(servers, bystanders));
    }

    static double median(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).filter(d -> !Double.isNaN(d)).sorted()
                .toArray();
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length / 2];
    }

    private static String summary(List<Double> values) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return String.format(Locale.ROOT, "median %.1f (min %.1f, max %.1f)", median(values), sorted[0],
                sorted[sorted.length - 1]);
    }

    /** Echo servers in the server pods ({@link EchoServer}); they note when each client address last sent. */
    static final class Servers implements AutoCloseable {
        private final Map<String, Long> lastArrival = new java.util.concurrent.ConcurrentHashMap<>();
        private final List<EchoServer> servers = new ArrayList<>();

        void start(Lab lab) throws Exception {
            for (String pod : List.of("t/server", "t/far")) {
                servers.add(EchoServer.start(lab, pod, InetAddress.getByName(ADDRESSES.get(pod)), TCP_PORT, UDP_PORT,
                        (client, udp, nanos) -> lastArrival.put(client, nanos)));
            }
        }

        long lastArrival(String client) {
            return lastArrival.getOrDefault(client, 0L);
        }

        @Override
        public void close() {
            servers.forEach(EchoServer::close);
        }
    }
}
