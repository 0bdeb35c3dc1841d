package io.nftpolicy.enforcement;

import static io.nftpolicy.testing.Policies.expressions;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.pods;
import static io.nftpolicy.testing.Policies.requirement;
import static io.nftpolicy.testing.Policies.rule;
import static io.nftpolicy.testing.Policies.tcp;
import static io.nftpolicy.testing.Policies.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.Clusters;
import io.nftpolicy.testing.KernelTest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Established connections follow the policy ({@link EstablishedFlows}), judged by real TCP and UDP flows between
 * pods of two Flannel-style lab nodes, each node's table applied by the backend through libnftables.
 *
 * <p>Pods of namespace t: client and friend (node-1) open flows to server (node-1: same node) and far (node-2:
 * across nodes), on TCP 9000 and UDP 9001, each sending a message every 10 ms that the server echoes. Policy
 * {@code servers} admits both clients in {@link #OPEN}, only friend in {@link #FRIEND_ONLY}. So the change from one
 * to the other must cut client's four flows within 1 s and leave friend's four undisturbed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class EstablishedFlowsKernelTest {
    private static final Map<String, String> NODES = Map.of("t/client", "node-1", "t/friend", "node-1",
            "t/server", "node-1", "t/far", "node-2");
    private static final Map<String, String> ADDRESSES = Map.of("t/client", "10.244.1.2", "t/friend", "10.244.1.3",
            "t/server", "10.244.1.4", "t/far", "10.244.2.2");
    private static final boolean OPEN = true;
    private static final boolean FRIEND_ONLY = false;
    private static final long CUT_LIMIT_NANOS = 1_000_000_000L;
    /** A dropped TCP segment costs at least one retransmission timeout (200 ms): a longer gap is a disturbance. */
    private static final long UNDISTURBED_GAP_NANOS = 150_000_000L;

    private Lab lab;
    private final Map<String, Nftables> contexts = new LinkedHashMap<>();
    private final Map<String, RulesetApplier> appliers = new LinkedHashMap<>();
    private FlowServers servers;
    private final List<Flow> flows = new ArrayList<>();

    @BeforeAll
    void startLab() throws Exception {
        List<LabPod> pods = new ArrayList<>();
        NODES.keySet().stream().sorted().forEach(pod ->
                pods.add(new LabPod(pod, NODES.get(pod), List.of(ADDRESSES.get(pod)), List.of())));
        lab = Lab.start(pods);
        servers = new FlowServers(lab, List.of("t/server", "t/far"), ADDRESSES);
    }

    @AfterAll
    void closeLab() {
        if (servers != null) {
            servers.close();
        }
        contexts.values().forEach(Nftables::close);
        if (lab != null) {
            lab.close();
        }
    }

    @BeforeEach
    void freshTables() throws Exception {
        for (String node : List.of("node-1", "node-2")) {
            String netns = lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + node);
            run(List.of("ip", "netns", "exec", netns, "nft", "delete", "table", "inet", "nftpolicy")); // may be absent
            // An earlier test's flows, stamped or marked denied, must not meet this test's (same ports possible).
            run(List.of("ip", "netns", "exec", netns, "conntrack", "-F"));
            Nftables nft = contexts.computeIfAbsent(node, n -> open(netns));
            appliers.put(node, new RulesetApplier(new LibnftablesExecutor(nft)));
        }
    }

    @AfterEach
    void closeFlows() {
        flows.forEach(Flow::close);
        flows.clear();
    }

    @Test
    void aChangeThatDeniesAFlowCutsItsConnectionWithinOneSecondOnOneNodeAndAcross() throws Exception {
        apply(OPEN, true);
        openFlows();
        awaitTraffic();

        long commit = apply(FRIEND_ONLY, true);
        Thread.sleep(1500);

        StringBuilder report = new StringBuilder();
        for (Flow flow : flows) {
            report.append(flow.describe(commit)).append('\n');
        }
        System.out.print("established flows after a change that denies client:\n" + report);
        for (Flow flow : flows) {
            if (flow.from().equals("t/client")) {
                assertThat(flow.lastReceived() - commit).as("%s cut within 1 s:%n%s", flow, report)
                        .isLessThan(CUT_LIMIT_NANOS);
                assertThat(flow.receivedSince(commit + CUT_LIMIT_NANOS)).as("%s after 1 s", flow).isZero();
            }
        }
    }

    @Test
    void flowsThatStayAllowedAreNotDisturbedAndTheirRepliesPass() throws Exception {
        apply(OPEN, true);
        openFlows();
        awaitTraffic();

        long commit = apply(FRIEND_ONLY, true);
        Thread.sleep(1000);

        for (Flow flow : flows) {
            if (flow.from().equals("t/friend")) {
                assertThat(flow.receivedSince(commit + 500_000_000L)).as("%s still flows", flow).isGreaterThan(20);
                assertThat(flow.echoesSince(commit + 500_000_000L)).as("%s still gets its replies", flow)
                        .isGreaterThan(20);
                assertThat(flow.longestGapAround(commit)).as("%s: longest gap around the change", flow)
                        .isLessThan(UNDISTURBED_GAP_NANOS);
            }
        }
    }

    @Test
    void keepEstablishedLetsADeniedFlowRunOn() throws Exception {
        apply(OPEN, false);
        openFlows();
        awaitTraffic();

        long commit = apply(FRIEND_ONLY, false);
        Thread.sleep(1500);

        for (Flow flow : flows) {
            assertThat(flow.receivedSince(commit + CUT_LIMIT_NANOS)).as("%s runs on", flow).isGreaterThan(10);
        }
    }

    @Test
    void aFlowAllowedAgainResumes() throws Exception {
        apply(OPEN, true);
        openFlows();
        awaitTraffic();
        apply(FRIEND_ONLY, true);
        Thread.sleep(300);

        long reopened = apply(OPEN, true);
        Thread.sleep(1000);

        for (Flow flow : flows) {
            if (flow.from().equals("t/client") && flow.udp()) {
                assertThat(flow.receivedSince(reopened + 500_000_000L)).as("%s resumed", flow).isGreaterThan(20);
            }
        }
    }

    @Test
    void aLostConntrackEntryIsPickedUpWithoutOpeningADeniedFlowOrClosingAnAllowedOne() throws Exception {
        apply(OPEN, true);
        openFlows();
        awaitTraffic();
        long commit = apply(FRIEND_ONLY, true);
        Thread.sleep(300);

        long flushed = System.nanoTime();
        for (String node : List.of("node-1", "node-2")) {
            int exit = run(List.of("ip", "netns", "exec", lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + node), "conntrack",
                    "-F"));
            assertThat(exit).as("conntrack -F (package conntrack, installed by bin/setup)").isZero();
        }
        Thread.sleep(1200);

        for (Flow flow : flows) {
            if (flow.from().equals("t/friend")) {
                assertThat(flow.receivedSince(flushed + 700_000_000L)).as("%s goes on after the flush", flow)
                        .isGreaterThan(10);
            } else {
                assertThat(flow.receivedSince(commit + CUT_LIMIT_NANOS)).as("%s stays cut after the flush", flow)
                        .isZero();
            }
        }
    }

    @Test
    void aClusterNetworkPolicyDenyCutsFlowsAsANetworkPolicyChangeDoes() throws Exception {
        apply(snapshot(OPEN), true);
        openFlows();
        awaitTraffic();

        ClusterNetworkPolicy guard = new ClusterNetworkPolicy("no-client", "Admin", 10,
                ClusterNetworkPolicy.Subject.ofNamespaces(LabelSelector.all()),
                List.of(ClusterNetworkPolicy.Rule.of("Deny", List.of(ClusterNetworkPolicy.Peer.pods(LabelSelector.all(),
                        LabelSelector.matchLabels(Map.of("app", "client")))))), List.of());
        long commit = apply(snapshot(OPEN).withTiers(List.of(guard), List.of()), true);
        Thread.sleep(1500);

        for (Flow flow : flows) {
            long after = flow.receivedSince(commit + CUT_LIMIT_NANOS);
            if (flow.from().equals("t/client")) {
                assertThat(after).as("%s cut within 1 s", flow).isZero();
            } else {
                assertThat(after).as("%s still flows", flow).isGreaterThan(10);
            }
        }
    }

    /** Compiles and applies the policy to both nodes; the time of the last commit. */
    private long apply(boolean open, boolean recheck) throws Exception {
        return apply(snapshot(open), recheck);
    }

    private long apply(ClusterSnapshot snapshot, boolean recheck) throws Exception {
        PolicyCompiler compiler = new PolicyCompiler();
        for (Map.Entry<String, RulesetApplier> node : appliers.entrySet()) {
            Ruleset ruleset = compiler.compile(snapshot, node.getKey()).ruleset();
            if (recheck) {
                ruleset = new EstablishedFlows().apply(ruleset);
            }
            ApplyResult result = node.getValue().apply(ruleset);
            assertThat(result.generation().isPresent()).isEqualTo(recheck);
        }
        return System.nanoTime();
    }

    private void openFlows() throws Exception {
        for (String from : List.of("t/client", "t/friend")) {
            for (String to : List.of("t/server", "t/far")) {
                flows.add(servers.tcpFlow(from, to));
                flows.add(servers.udpFlow(from, to));
            }
        }
    }

    private void awaitTraffic() throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (flows.stream().anyMatch(f -> f.echoesSince(0) < 5) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(flows).allSatisfy(f -> assertThat(f.echoesSince(0)).as("%s echoes before the change", f)
                .isGreaterThanOrEqualTo(5));
    }

    private static ClusterSnapshot snapshot(boolean open) {
        Clusters cluster = Clusters.cluster().namespaces("t");
        NODES.keySet().stream().sorted().forEach(ref -> cluster.pod(Clusters.pod(ref).on(NODES.get(ref))
                .ips(ADDRESSES.get(ref)).labels("app=" + ref.substring(2))));
        LabelSelector from = open ? expressions(requirement("app", "In", "client", "friend")) : labels("app=friend");
        return cluster.policy(ingress("t/servers", expressions(requirement("app", "In", "server", "far")),
                rule(List.of(pods(from)), List.of(tcp(FlowServers.TCP_PORT), udp(FlowServers.UDP_PORT)))))
                .snapshot();
    }

    private static int run(List<String> argv) throws Exception {
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
        return process.waitFor();
    }

    private static Nftables open(String netns) {
        try {
            return Nftables.openInNamespace(netns);
        } catch (Exception e) {
            throw new IllegalStateException("libnftables in " + netns, e);
        }
    }
}
