package io.nftpolicy.bench.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The linear layout enforces what the compiled ruleset enforces, on the kernel: a small generated cluster (five
 * namespaces, two nodes, every pod a lab pod on its generated address) is probed from every pod to every pod on the
 * ports its policies name, once under each layout, and the two reachability matrices must be the same. The matrix
 * must hold both allowed and denied cells, or the comparison would prove nothing. Needs root (skipped otherwise).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class LinearLayoutKernelTest {
    /** Small enough to probe every pair; five namespaces, so that egress policies (to team-0..4) allow some. */
    private static final ClusterGenerator.Size SIZE = new ClusterGenerator.Size(5, 5, 2, 6, 3);
    private static final List<Endpoint> ENDPOINTS = List.of(Endpoint.tcp(80), Endpoint.tcp(8080), Endpoint.tcp(9090),
            Endpoint.tcp(8443), Endpoint.udp(53));
    /** Rounds of probing both layouts before a difference counts. */
    private static final int PROBE_ROUNDS = 3;
    private static final List<String> NODES = List.of(ClusterGenerator.nodeName(0), ClusterGenerator.nodeName(1));

    private final ClusterSnapshot snapshot = ClusterGenerator.generate(SIZE);
    private final Map<String, Ruleset> compiled = new LinkedHashMap<>();
    private final Map<String, Ruleset> linear = new LinkedHashMap<>();
    private Lab lab;

    @BeforeAll
    void startLab() throws Exception {
        for (String node : NODES) {
            compiled.put(node, new EstablishedFlows().apply(new PolicyCompiler().compile(snapshot, node).ruleset()));
            linear.put(node, LinearLayout.of(snapshot, node).ruleset());
        }
        List<LabPod> pods = new ArrayList<>();
        for (Pod pod : snapshot.pods()) {
            pods.add(new LabPod(pod.ref(), pod.nodeName(), pod.ips(), ENDPOINTS));
        }
        lab = Lab.start(pods);
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void theLinearLayoutAllowsAndDeniesWhatTheCompiledRulesetDoes() throws Exception {
        Reachability underCompiled = probeWith(compiled);
        List<String> differences = new ArrayList<>(probeWith(linear).differences(underCompiled));
        // A probe that times out on a loaded machine reads as a denial, even of a pod's own address: a cell counts
        // as different only when it differs in every round, as a real difference between the layouts does.
        for (int round = 1; round < PROBE_ROUNDS && !differences.isEmpty(); round++) {
            Reachability again = probeWith(compiled);
            differences.retainAll(probeWith(linear).differences(again));
        }

        assertThat(underCompiled.cells()).containsValue(true).containsValue(false);
        assertThat(differences).as("cells where the linear layout differs in every round").isEmpty();
    }

    /** What the benchmark relies on to choose its probes: the model of a first packet agrees with the kernel. */
    @Test
    void theFirstPacketModelAgreesWithTheKernelOnTcp() throws Exception {
        Reachability kernel = probeWith(compiled);
        Map<String, String> nodeOf = new LinkedHashMap<>();
        Map<String, IpAddress> addressOf = new LinkedHashMap<>();
        snapshot.pods().forEach(p -> {
            nodeOf.put(p.ref(), p.nodeName());
            addressOf.put(p.ref(), IpAddress.parse(p.ips().get(0)));
        });
        Map<String, FirstPacket> models = new LinkedHashMap<>();
        compiled.forEach((node, ruleset) -> models.put(node, new FirstPacket(ruleset)));
        List<String> disagreements = new ArrayList<>();
        kernel.cells().forEach((cell, connected) -> {
            if (cell.endpoint().protocol() != Protocol.TCP || cell.from().equals(cell.to())) {
                return;
            }
            IpAddress from = addressOf.get(cell.from());
            IpAddress to = addressOf.get(cell.to());
            int port = cell.endpoint().port();
            boolean allowed = models.get(nodeOf.get(cell.from())).walk(from, to, Protocol.TCP, port).allowed()
                    && models.get(nodeOf.get(cell.to())).walk(from, to, Protocol.TCP, port).allowed();
            if (allowed != connected) {
                disagreements.add(cell + ": model " + allowed + ", kernel " + connected);
            }
        });
        assertThat(disagreements).isEmpty();
    }

    private Reachability probeWith(Map<String, Ruleset> rulesets) throws Exception {
        for (String node : NODES) {
            lab.load(node, NftRenderer.render(rulesets.get(node)));
        }
        return lab.probe(ENDPOINTS);
    }

}
