package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.Clusters;
import io.nftpolicy.testing.KernelTest;
import io.nftpolicy.testing.Policies;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The applier on a node of a lab, judged by traffic: pods are network namespaces on one Flannel-style node, the
 * applier runs libnftables inside the node's namespace, and real TCP connections between the pods say what is in
 * force. Needs root (skipped otherwise).
 *
 * <p>Two snapshots, A and B, of one namespace {@code t} on node-1. Clients x, w, v; servers y, z, u (TCP 80):
 * <ul>
 *   <li>x is labelled {@code y-ok} in A and {@code z-ok} in B (a pod relabel: peer set elements move);</li>
 *   <li>y admits {@code y-ok} pods, z admits {@code z-ok} pods on TCP 80, and on 82 too in A (so z's chain is
 *       flushed and refilled on every change);</li>
 *   <li>u is role u1 in A and u2 in B, admitted from w by policy u1-in or u2-in (its dispatch element moves to
 *       another chain, and the chain of the policy selecting nothing is deleted, then created again);</li>
 *   <li>w is isolated for egress, to TCP 80 of the namespace's pods in A and TCP 80 and 8080 in B (its egress
 *       chain is flushed and refilled too); w has both labels, v none.</li>
 * </ul>
 * So x→y and x→z differ between A and B; w→y, w→z, w→u are allowed in both; v→y, v→z, v→u, x→u are blocked in
 * both.
 *
 * <p>{@link PortRangeRefillKernelTest} runs the same with a port range that changes between A and B, the case in
 * which kernel 6.18 once dropped allowed connections (a rule committed with a new interval set it looks up).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class ApplyUnderTrafficKernelTest {
    private static final String NODE = "node-1";
    private static final Endpoint HTTP = Endpoint.tcp(80);
    private static final Map<String, String> ADDRESSES = Map.of("t/x", "10.244.1.2", "t/w", "10.244.1.3",
            "t/v", "10.244.1.4", "t/y", "10.244.1.5", "t/z", "10.244.1.6", "t/u", "10.244.1.7");
    /** Cells allowed in both snapshots. */
    private static final List<Cell> ALWAYS_ALLOWED = List.of(new Cell("t/w", "t/y"), new Cell("t/w", "t/z"),
            new Cell("t/w", "t/u"));
    /** Cells blocked in both snapshots. */
    private static final List<Cell> ALWAYS_BLOCKED = List.of(new Cell("t/v", "t/y"), new Cell("t/v", "t/z"),
            new Cell("t/v", "t/u"), new Cell("t/x", "t/u"));
    /** Allowed in A only, and in B only. */
    private static final Cell ONLY_A = new Cell("t/x", "t/y");
    private static final Cell ONLY_B = new Cell("t/x", "t/z");

    private Lab lab;
    /** The apply under way (its index), or -1 - the index of the last one done; for reporting wrong verdicts. */
    private final AtomicInteger applying = new AtomicInteger(-1);
    /** Each wrong verdict: cell, what happened, and when. */
    private final Queue<String> wrong = new ConcurrentLinkedQueue<>();
    private Ruleset a;
    private Ruleset b;

    record Cell(String from, String to) {
        @Override
        public String toString() {
            return from + "->" + to;
        }
    }

    @BeforeAll
    void startLab() throws Exception {
        List<LabPod> pods = new ArrayList<>();
        ADDRESSES.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                pods.add(new LabPod(e.getKey(), NODE, List.of(e.getValue()), List.of(HTTP))));
        lab = Lab.start(pods);
        PolicyCompiler compiler = new PolicyCompiler();
        a = compiler.compile(snapshot(true), NODE).ruleset();
        b = compiler.compile(snapshot(false), NODE).ruleset();
        assertThat(a).isNotEqualTo(b);
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void aTransactionTheKernelRefusesLeavesThePreviousRulesInForce() throws Exception {
        try (Nftables nft = Nftables.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE))) {
            Sabotage executor = new Sabotage(new LibnftablesExecutor(nft));
            RulesetApplier applier = new RulesetApplier(executor);
            applier.apply(a);
            assertThat(probeAll()).as("A in force").isEqualTo(expected(true));

            executor.sabotage = true;
            assertThatThrownBy(() -> applier.apply(b)).isInstanceOfSatisfying(ApplyException.class, e -> {
                assertThat(e.failingCommand()).contains(Sabotage.INVALID);
                assertThat(e.nftError()).contains("Error:");
            });

            assertThat(probeAll()).as("after the refused transaction to B, A is still in force").isEqualTo(expected(true));
            assertThat(new RulesetApplier(new LibnftablesExecutor(nft)).verify(a).differences()).isEmpty();

            executor.sabotage = false;
            ApplyResult retry = applier.apply(b);
            assertThat(retry.readBack()).as("the failure made the applier read the table back").isTrue();
            assertThat(retry.kind()).isEqualTo(ApplyResult.Kind.INCREMENTAL);
            assertThat(probeAll()).as("B in force").isEqualTo(expected(false));
        }
    }

    @Test
    void thousandAppliesAlternatingTwoSnapshotsNeverExposeAVerdictNeitherAllows() throws Exception {
        int applies = 1000;
        try (Nftables nft = Nftables.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE))) {
            RulesetApplier applier = new RulesetApplier(new LibnftablesExecutor(nft));
            applier.apply(b);
            assertThat(probeAll()).as("B in force").isEqualTo(expected(false));
            applier.apply(a);
            assertThat(probeAll()).as("A in force").isEqualTo(expected(true));

            List<Cell> cells = new ArrayList<>(ALWAYS_ALLOWED);
            cells.addAll(ALWAYS_BLOCKED);
            cells.add(ONLY_A);
            cells.add(ONLY_B);
            Map<Cell, AtomicLong> connected = new LinkedHashMap<>();
            Map<Cell, AtomicLong> failed = new LinkedHashMap<>();
            cells.forEach(c -> {
                connected.put(c, new AtomicLong());
                failed.put(c, new AtomicLong());
            });
            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> probers = new ArrayList<>();
            for (Cell cell : cells) {
                // Below TCP's first SYN retransmission (1 s), so that a dropped SYN is a failed probe. A blocked
                // probe lasts its whole timeout: blocked cells get a short one and three probing threads.
                boolean blocked = ALWAYS_BLOCKED.contains(cell);
                int timeoutMillis = blocked ? 100 : 500;
                for (int k = 0; k < (blocked ? 3 : 1); k++) {
                    Thread t = new Thread(() -> {
                        while (running.get()) {
                            (connects(cell, timeoutMillis) ? connected : failed).get(cell).incrementAndGet();
                        }
                    }, "probe " + cell + " " + k);
                    t.setDaemon(true);
                    probers.add(t);
                }
            }
            probers.forEach(Thread::start);
            long[] nanos = new long[applies];
            Map<Cell, Long> during = new LinkedHashMap<>();
            Throwable failure = null;
            try {
                waitForProbes(cells, connected, failed);
                cells.forEach(c -> during.put(c, -(connected.get(c).get() + failed.get(c).get())));
                for (int i = 0; i < applies; i++) {
                    Ruleset target = i % 2 == 0 ? b : a;
                    long start = System.nanoTime();
                    applying.set(i);
                    ApplyResult result = applier.apply(target);
                    applying.set(-1 - i);
                    nanos[i] = System.nanoTime() - start;
                    assertThat(result.kind()).isEqualTo(ApplyResult.Kind.INCREMENTAL);
                }
                cells.forEach(c -> during.merge(c, connected.get(c).get() + failed.get(c).get(), Long::sum));
            } catch (Throwable t) {
                failure = t;
            } finally {
                running.set(false);
                for (Thread t : probers) {
                    t.join(5_000);
                }
            }
            if (failure != null) {
                throw new AssertionError("apply failed", failure);
            }

            long wrongAllows = ALWAYS_BLOCKED.stream().mapToLong(c -> connected.get(c).get()).sum();
            long wrongDrops = ALWAYS_ALLOWED.stream().mapToLong(c -> failed.get(c).get()).sum();
            long probes = cells.stream().mapToLong(c -> connected.get(c).get() + failed.get(c).get()).sum();
            Arrays.sort(nanos);
            StringBuilder report = new StringBuilder(String.format(
                    "%d applies alternating B, A (p50 %.2f ms, p99 %.2f ms, max %.2f ms); %d probes; wrong allows %d; "
                            + "wrong drops %d%n", applies, nanos[applies / 2] / 1e6, nanos[applies * 99 / 100] / 1e6,
                    nanos[applies - 1] / 1e6, probes, wrongAllows, wrongDrops));
            cells.forEach(c -> report.append(String.format("  %-10s connected %6d  failed %6d  (%d ended during the "
                    + "applies)%n", c, connected.get(c).get(), failed.get(c).get(), during.getOrDefault(c, 0L))));
            wrong.forEach(w -> report.append("  wrong: ").append(w).append('\n'));
            System.out.print(report);

            assertThat(wrongAllows).as(report.toString()).isZero();
            assertThat(wrongDrops).as(report.toString()).isZero();
            for (Cell c : cells) {
                if (!c.equals(ONLY_A) && !c.equals(ONLY_B)) {
                    assertThat(during.get(c)).as(c + " probes that ended during the applies: " + report)
                            .isGreaterThanOrEqualTo(ALWAYS_BLOCKED.contains(c) ? 3 : 20);
                }
            }
            assertThat(applier.verify(a).differences()).isEmpty();
        }
    }

    private String when() {
        int i = applying.get();
        return i >= 0 ? "at its end during apply " + i : "at its end after apply " + (-1 - i);
    }

    /** Waits until every cell has been probed, so that the applies start with all probes under way. */
    private static void waitForProbes(List<Cell> cells, Map<Cell, AtomicLong> connected, Map<Cell, AtomicLong> failed)
            throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (cells.stream().anyMatch(c -> connected.get(c).get() + failed.get(c).get() == 0)
                && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    /**
     * One probe: a new TCP connection from the source pod (its socket created in the pod's namespace), one byte,
     * and the destination pod's name as the answer, all within {@code timeoutMillis}.
     */
    private boolean connects(Cell cell, int timeoutMillis) {
        SocketChannel channel;
        try {
            channel = lab.callIn(cell.from(), SocketChannel::open);
        } catch (Exception e) {
            throw new IllegalStateException("cannot open a socket in " + cell.from(), e);
        }
        try (channel) {
            Socket socket = channel.socket();
            socket.setSoLinger(true, 0); // no TIME_WAIT pile-up over thousands of connections
            socket.connect(new InetSocketAddress(ADDRESSES.get(cell.to()), HTTP.port()), timeoutMillis);
            socket.setSoTimeout(timeoutMillis);
            socket.getOutputStream().write('?');
            InputStream in = socket.getInputStream();
            byte[] answer = new byte[64];
            int length = 0;
            int read;
            while (length < answer.length && (read = in.read(answer, length, answer.length - length)) > 0) {
                length += read;
                if (answer[length - 1] == '\n') {
                    break;
                }
            }
            boolean reached = new String(answer, 0, length, StandardCharsets.US_ASCII).equals(cell.to() + "\n");
            if (reached && ALWAYS_BLOCKED.contains(cell)) {
                wrong.add(cell + " connected, " + when());
            }
            return reached;
        } catch (IOException e) {
            if (ALWAYS_ALLOWED.contains(cell)) {
                wrong.add(cell + " failed (" + e + "), " + when());
            }
            return false; // timed out (dropped), refused or reset
        }
    }

    /** Every cell of interest, probed at once by the lab. */
    private Map<Cell, Boolean> probeAll() {
        Reachability r = lab.probe(List.of(HTTP));
        Map<Cell, Boolean> out = new LinkedHashMap<>();
        for (Cell c : allCells()) {
            out.put(c, r.allowed(HTTP, IpFamily.IPV4, c.from(), c.to()));
        }
        return out;
    }

    private static Map<Cell, Boolean> expected(boolean inA) {
        Map<Cell, Boolean> out = new LinkedHashMap<>();
        for (Cell c : allCells()) {
            out.put(c, ALWAYS_ALLOWED.contains(c) || (inA ? c.equals(ONLY_A) : c.equals(ONLY_B)));
        }
        return out;
    }

    private static List<Cell> allCells() {
        List<Cell> cells = new ArrayList<>(ALWAYS_ALLOWED);
        cells.addAll(ALWAYS_BLOCKED);
        cells.add(ONLY_A);
        cells.add(ONLY_B);
        return cells;
    }

    /**
     * The ports z admits in A: 80 and 82, a hash set. A range here ({@link PortRangeRefillKernelTest}) gives an
     * interval set, which the kernel keeps in a pipapo set.
     */
    List<PolicyPort> zPortsInA() {
        return List.of(PolicyPort.tcp(80), PolicyPort.tcp(82));
    }

    /** Snapshot A ({@code a} true) or B, as the class comment describes. */
    private ClusterSnapshot snapshot(boolean a) {
        Map<String, Map<String, String>> labels = new LinkedHashMap<>();
        labels.put("t/x", a ? Map.of("app", "x", "y-ok", "true") : Map.of("app", "x", "z-ok", "true"));
        labels.put("t/w", Map.of("app", "w", "y-ok", "true", "z-ok", "true"));
        labels.put("t/v", Map.of("app", "v"));
        labels.put("t/y", Map.of("app", "y"));
        labels.put("t/z", Map.of("app", "z"));
        labels.put("t/u", Map.of("app", "u", "role", a ? "u1" : "u2"));
        Clusters cluster = Clusters.cluster().namespaces("t");
        labels.forEach((ref, l) -> cluster.pod(Clusters.pod(ref).on(NODE).ips(ADDRESSES.get(ref)).labels(l)
                .port("http", 80, Protocol.TCP)));
        List<PolicyPort> zPorts = a ? zPortsInA() : List.of(PolicyPort.tcp(80));
        List<PolicyPort> wPorts = a ? List.of(PolicyPort.tcp(80)) : List.of(PolicyPort.tcp(80), PolicyPort.tcp(8080));
        return cluster.policy(
                ingress("y-in", Map.of("app", "y"), Map.of("y-ok", "true"), List.of(PolicyPort.tcp(80))),
                ingress("z-in", Map.of("app", "z"), Map.of("z-ok", "true"), zPorts),
                ingress("u1-in", Map.of("role", "u1"), Map.of("app", "w"), List.of(PolicyPort.tcp(80))),
                ingress("u2-in", Map.of("role", "u2"), Map.of("app", "w"), List.of(PolicyPort.tcp(80))),
                Policies.egress("t/w-out", Policies.labels("app=w"),
                        Policies.rule(List.of(Policies.pods(Policies.all())), wPorts))).snapshot();
    }

    private static NetworkPolicy ingress(String name, Map<String, String> selected, Map<String, String> from,
                                         List<PolicyPort> ports) {
        return Policies.ingress("t/" + name, LabelSelector.matchLabels(selected),
                Policies.rule(List.of(Policies.pods(LabelSelector.matchLabels(from))), ports));
    }

    /** Passes scripts on; while {@link #sabotage} is set, appends a rule that looks up a set that does not exist. */
    private static final class Sabotage implements NftExecutor {
        static final String INVALID = "add rule inet nftpolicy filter-forward ip saddr @no-such-set drop";
        private static final Rule INVALID_RULE = Rule.of("ip saddr @no-such-set drop", "");
        private final NftExecutor delegate;
        volatile boolean sabotage;

        Sabotage(NftExecutor delegate) {
            this.delegate = delegate;
        }

        @Override
        public String run(Transaction script) throws ApplyException {
            if (!sabotage) {
                return delegate.run(script);
            }
            Transaction sabotaged = new Transaction();
            script.steps().forEach(sabotaged::append);
            return delegate.run(sabotaged.addRule("filter-forward", INVALID_RULE));
        }

        @Override
        public Optional<KernelTable> readBack() throws ApplyException {
            return delegate.readBack();
        }
    }
}
