package io.nftpolicy.enforcement;

import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.peers;
import static io.nftpolicy.testing.Policies.pods;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.netns.NetnsThread;
import io.nftpolicy.backend.nflog.DropLogReader;
import io.nftpolicy.backend.nflog.DropRecord;
import io.nftpolicy.backend.nflog.NflogPacket;
import io.nftpolicy.backend.nflog.NflogSocket;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.compile.DropAttribution;
import io.nftpolicy.compile.DropLogs;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Drop logs on the real kernel: on node n1, dev/db and ops/db are isolated for ingress by a policy that allows
 * nothing; namespace dev is annotated {@code nftpolicy.io/log-drops: "true"}, ops is not. The NFLOG socket is bound
 * inside the node's namespace, where the table is.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class DropLogKernelTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final String NODE = "n1";
    private static final int GROUP = 4711;
    private static final int RATE = 1;
    private static final int BURST = 2;

    private Lab lab;
    private LibnftablesExecutor kernel;
    private NetnsThread nodeThread;
    private NflogSocket socket;
    private DropAttribution attribution;
    private Ruleset ruleset;
    private final DropLogReader reader = new DropLogReader(NODE, Clock.systemUTC());

    @BeforeAll
    void start() throws Exception {
        lab = Lab.start(List.of(
                new LabPod("dev/client", NODE, List.of("10.244.1.10"), List.of()),
                new LabPod("dev/db", NODE, List.of("10.244.1.11"), List.of(TCP80)),
                new LabPod("ops/client", NODE, List.of("10.244.1.20"), List.of()),
                new LabPod("ops/db", NODE, List.of("10.244.1.21"), List.of(TCP80)),
                new LabPod("audit/client", NODE, List.of("10.244.1.30"), List.of()),
                new LabPod("audit/web", NODE, List.of("10.244.1.31"), List.of(TCP80))),
                LabOptions.defaults().withPrefix("droplog").withProbeTimeout(Duration.ofMillis(300)));
        String nodeNetns = lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE);
        ClusterSnapshot snapshot = new ClusterSnapshot(
                List.of(new Namespace("dev", Map.of(), Map.of(Namespace.LOG_DROPS_ANNOTATION, "true")),
                        new Namespace("ops", Map.of()),
                        new Namespace("audit", Map.of(), Map.of(Namespace.LOG_ACCEPTS_ANNOTATION, "true"))),
                List.of(pod("dev/client", "10.244.1.10", "app=client"), pod("dev/db", "10.244.1.11", "app=db"),
                        pod("ops/client", "10.244.1.20", "app=client"), pod("ops/db", "10.244.1.21", "app=db"),
                        pod("audit/client", "10.244.1.30", "app=client"), pod("audit/web", "10.244.1.31", "app=web")),
                List.of(ingress("dev/db-lockdown", labels("app=db")), ingress("ops/db-lockdown", labels("app=db")),
                        ingress("audit/web-from-client", labels("app=web"), peers(pods(labels("app=client"))))));
        Ruleset logged = new DropLogs(new DropLogs.Options(false, GROUP, RATE, BURST))
                .apply(new PolicyCompiler().compile(snapshot, NODE).ruleset(), snapshot);
        ruleset = new EstablishedFlows().apply(logged);
        attribution = DropAttribution.of(ruleset, snapshot);
        kernel = LibnftablesExecutor.openInNamespace(nodeNetns);
        new RulesetApplier(kernel).apply(ruleset);
        nodeThread = NetnsThread.enter(nodeNetns);
        socket = NflogSocket.open(nodeThread, GROUP, "node " + NODE);
    }

    @AfterAll
    void stop() {
        if (socket != null) {
            socket.close();
        }
        if (nodeThread != null) {
            nodeThread.close();
        }
        if (kernel != null) {
            kernel.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private static Pod pod(String ref, String ip, String label) {
        String[] parts = ref.split("/");
        return new Pod(parts[0], parts[1], Map.of(label.split("=")[0], label.split("=")[1]), NODE, false,
                PodPhase.RUNNING, false, List.of(ip),
                List.of(new ContainerPort("http", 80, io.nftpolicy.cluster.Protocol.TCP)));
    }

    /** Everything the group receives until it has been quiet for half a second. */
    private List<DropRecord> drain() throws IOException {
        List<NflogPacket> packets = new ArrayList<>();
        for (List<NflogPacket> batch = socket.receive(Duration.ofMillis(500)); !batch.isEmpty();
                batch = socket.receive(Duration.ofMillis(500))) {
            packets.addAll(batch);
        }
        return reader.records(packets, attribution);
    }

    private long overLimit() throws Exception {
        return nodeThread.call(() -> {
            try (var nft = io.nftpolicy.backend.libnftables.Nftables.open()) {
                return DropLogReader.overLimit(nft, Ruleset.TABLE, DropLogReader.logChains(ruleset));
            }
        });
    }

    @Test
    void aDeniedConnectionInAnAnnotatedNamespaceGivesExactlyOneAttributedLine() throws Exception {
        drain();
        Thread.sleep(1000L * BURST / RATE); // the bucket full again

        assertThat(lab.connects("dev/client", "dev/db", TCP80, IpFamily.IPV4)).isFalse();
        List<DropRecord> records = drain();

        assertThat(records).hasSize(1);
        DropRecord r = records.get(0);
        assertThat(r.node()).isEqualTo(NODE);
        assertThat(r.direction()).isEqualTo("ingress");
        assertThat(r.source()).isEqualTo(new DropRecord.Endpoint("10.244.1.10", "dev/client"));
        assertThat(r.destination()).isEqualTo(new DropRecord.Endpoint("10.244.1.11", "dev/db"));
        assertThat(r.protocol()).isEqualTo("TCP");
        assertThat(r.port()).isEqualTo(80);
        assertThat(r.pod()).isEqualTo("dev/db");
        assertThat(r.isolatedBy()).containsExactly("dev/db-lockdown");
        assertThat(DropLogReader.json(r)).startsWith("{\"time\":\"").contains("\"isolatedBy\":[\"dev/db-lockdown\"]");
    }

    @Test
    void aDeniedConnectionInANamespaceNotAnnotatedGivesNoLineAndIsStillDropped() throws Exception {
        drain();

        assertThat(lab.connects("ops/client", "ops/db", TCP80, IpFamily.IPV4)).isFalse();
        assertThat(drain()).isEmpty();
    }

    @Test
    void anAcceptedConnectionInAnAuditedNamespaceGivesOneLineNamingTheRuleThatAcceptedIt() throws Exception {
        drain();
        Thread.sleep(1000L * BURST / RATE);

        assertThat(lab.connects("audit/client", "audit/web", TCP80, IpFamily.IPV4)).isTrue();
        List<DropRecord> records = drain();

        assertThat(records).hasSize(1);
        DropRecord r = records.get(0);
        assertThat(r.verdict()).isEqualTo("accept");
        assertThat(r.source()).isEqualTo(new DropRecord.Endpoint("10.244.1.30", "audit/client"));
        assertThat(r.destination()).isEqualTo(new DropRecord.Endpoint("10.244.1.31", "audit/web"));
        assertThat(r.allowedBy()).containsExactly("audit/web-from-client ingress[0].from[0]");
    }

    @Test
    void attemptsOverTheRateLimitAreDroppedUnloggedAndCounted() throws Exception {
        drain();
        Thread.sleep(1000L * BURST / RATE);
        long before = overLimit();
        int attempts = 12;

        int connected = lab.callIn("dev/client", () -> {
            int ok = 0;
            for (int i = 0; i < attempts; i++) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("10.244.1.11", 80), 40);
                    ok++;
                } catch (IOException e) {
                    // dropped: the expected outcome
                }
            }
            return ok;
        });
        List<DropRecord> logged = drain();
        long suppressed = overLimit() - before;

        assertThat(connected).isZero();
        assertThat(logged.size()).isBetween(BURST, BURST + 1);
        assertThat(logged.size() + suppressed).isEqualTo(attempts);
    }
}
