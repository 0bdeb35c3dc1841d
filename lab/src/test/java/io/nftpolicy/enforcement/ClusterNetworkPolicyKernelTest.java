package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.allowAll;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.peers;
import static io.nftpolicy.testing.Policies.podsInNamespaces;
import static io.nftpolicy.enforcement.Tiers.accept;
import static io.nftpolicy.enforcement.Tiers.admin;
import static io.nftpolicy.enforcement.Tiers.baseline;
import static io.nftpolicy.enforcement.Tiers.deny;
import static io.nftpolicy.enforcement.Tiers.everyone;
import static io.nftpolicy.enforcement.Tiers.fromNamespace;
import static io.nftpolicy.enforcement.Tiers.fromPod;
import static io.nftpolicy.enforcement.Tiers.namespaceSubject;
import static io.nftpolicy.enforcement.Tiers.pass;
import static io.nftpolicy.enforcement.Tiers.podSubject;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.Node;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.lab.LabException;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Protocol;
import io.nftpolicy.policy.NetworkPolicy;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * ClusterNetworkPolicy in the kernel, on the upstream model (see {@link UpstreamModel}): the tiers' order against
 * NetworkPolicy, priorities, peers of every kind and ports, modelled on the scenarios of the network-policy-api
 * conformance suite (v0.3.0).
 */
class ClusterNetworkPolicyKernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint TCP81 = Endpoint.tcp(81);
    private static final Endpoint TCP82 = Endpoint.tcp(82);
    private static final Endpoint UDP80 = Endpoint.udp(80);

    private void enforce(List<ClusterNetworkPolicy> tiers, NetworkPolicy... policies) throws LabException {
        lab.enforceTiers(tiers, List.of(), policies);
    }

    @Test
    void anAdminDenyOverridesANetworkPolicyAllow() throws LabException {
        enforce(List.of(admin("no-y-into-x", 10, namespaceSubject("x"), List.of(deny(fromNamespace("y"))), List.of())),
                ingress("x/allow-all", all(), allowAll()));

        lab.check(expect(TCP80).deny("y/*", "x/*"), expect(UDP80).deny("y/*", "x/*"));
    }

    @Test
    void anAdminPassHandsOverToNetworkPolicySkippingTheRestOfTheAdminTier() throws LabException {
        enforce(List.of(
                        admin("pass-y", 10, namespaceSubject("x"), List.of(pass(fromNamespace("y"))), List.of()),
                        admin("deny-y", 20, namespaceSubject("x"), List.of(deny(fromNamespace("y"))), List.of())),
                ingress("x/from-y-a", all(), peers(podsInNamespaces(labels("pod=a"), labels("ns=y")))));

        lab.check(expect(TCP80).denyTo("x/*").allow("y/a", "x/*"));
    }

    @Test
    void anAdminPassHandsOverToBaselineWhereNetworkPolicyDoesNotIsolate() throws LabException {
        enforce(List.of(
                admin("pass-y", 10, namespaceSubject("x"), List.of(pass(fromNamespace("y"))), List.of()),
                admin("deny-y", 20, namespaceSubject("x"), List.of(deny(fromNamespace("y"))), List.of()),
                baseline("no-y-b", 10, namespaceSubject("x"), List.of(deny(fromPod("y", "b"))), List.of())));

        lab.check(expect(TCP80).deny("y/b", "x/*"));
    }

    @Test
    void aBaselineDenyYieldsToNetworkPolicyWhereItIsolates() throws LabException {
        enforce(List.of(baseline("default-deny-x", 10, namespaceSubject("x"), List.of(deny(everyone())), List.of())),
                ingress("x/a-from-z", labels("pod=a"), peers(namespaces(labels("ns=z")))));

        lab.check(expect(TCP80).denyTo("x/*").allow("z/*", "x/a"));
    }

    @Test
    void anAdminAcceptOverridesBaselineDenyAndNetworkPolicyIsolation() throws LabException {
        enforce(List.of(
                        admin("z-everywhere", 10, Tiers.namespaceSubject("x"), List.of(accept(fromNamespace("z"))),
                                List.of()),
                        admin("z-into-y", 10, Tiers.namespaceSubject("y"), List.of(accept(fromNamespace("z"))),
                                List.of()),
                        baseline("default-deny-y", 10, namespaceSubject("y"), List.of(deny(everyone())), List.of())),
                ingress("x/deny-ingress", all()));

        lab.check(expect(TCP80).denyTo("x/*", "y/*").allow("z/*", "x/*").allow("z/*", "y/*"));
    }

    @Test
    void theLowerPriorityNumberDecidesFirst() throws LabException {
        enforce(List.of(
                admin("deny-all-into-x", 20, namespaceSubject("x"), List.of(deny(everyone())), List.of()),
                admin("y-a-into-x", 10, namespaceSubject("x"), List.of(accept(fromPod("y", "a"))), List.of()),
                admin("not-81-from-y-a", 5, namespaceSubject("x"),
                        List.of(deny(fromPod("y", "a"), Protocol.port("TCP", 81))), List.of())));

        lab.check(expect(TCP80).denyTo("x/*").allow("y/a", "x/*"), expect(TCP81).denyTo("x/*"));
    }

    @Test
    void portRangesAndNamedPortsNarrowRules() throws LabException {
        enforce(List.of(
                admin("not-80-81-into-x", 10, namespaceSubject("x"),
                        List.of(deny(everyone(), Protocol.range("TCP", 80, 81))), List.of()),
                admin("not-serve-81-from-y", 10, namespaceSubject("y"), List.of(),
                        List.of(deny(fromNamespace("z"), Protocol.named("serve-81-tcp"))))));

        lab.check(expect(TCP80).denyTo("x/*"),
                expect(TCP81).denyTo("x/*").deny("y/*", "z/*"),
                expect(TCP82),
                expect(UDP80));
    }

    @Test
    void anEgressAcceptOverridesEgressIsolationButNotTheDestinationsIngress() throws LabException {
        enforce(List.of(admin("y-out", 10, namespaceSubject("y"), List.of(), List.of(accept(everyone())))),
                egress("y/deny-egress", all()), ingress("x/deny-ingress", all()));

        lab.check(expect(TCP80).denyTo("x/*"));
    }

    @Test
    void networksPeersMatchAddressRanges() throws LabException {
        // x/a's address, and node-2's pod range
        enforce(List.of(admin("no-nets", 10, namespaceSubject("y"), List.of(),
                List.of(deny(List.of(Peer.networks(List.of("10.244.1.2/32", "10.244.2.0/24"))))))));

        lab.check(expect(TCP80).deny("y/*", "x/a").deny("y/*", "x/c").deny("y/*", "y/c").deny("y/*", "z/b")
                .deny("y/*", "z/c"));
    }

    @Test
    void nodesPeersMatchTheAddressesOfTheSelectedNodes() throws Exception {
        String node2 = lab.overlayAddress(UpstreamModel.NODE2);
        List<Node> nodes = List.of(new Node(UpstreamModel.NODE2, Map.of("role", "worker"), List.of(node2)));
        try (ServerSocket server = lab.lab().callIn("node/" + UpstreamModel.NODE2, () -> {
            ServerSocket s = new ServerSocket();
            s.bind(new InetSocketAddress(node2, 9100));
            return s;
        })) {
            Thread answering = new Thread(() -> answer(server, "node-2"));
            answering.setDaemon(true);
            answering.start();
            assertThat(lab.tcpAnswer("x/a", node2, 9100)).isEqualTo("node-2");

            lab.enforceTiers(List.of(admin("no-workers", 10, namespaceSubject("x"), List.of(),
                    List.of(deny(List.of(Peer.nodes(labels("role=worker"))))))), nodes);
            assertThat(lab.tcpAnswer("x/a", node2, 9100)).as("x/a to node-2\n%s", lab.state()).isNull();
            assertThat(lab.tcpAnswer("y/a", node2, 9100)).as("y/a is no subject").isEqualTo("node-2");

            lab.enforceTiers(List.of(admin("no-workers", 10, namespaceSubject("x"), List.of(),
                    List.of(deny(List.of(Peer.nodes(labels("role=control"))))))), nodes);
            assertThat(lab.tcpAnswer("x/a", node2, 9100)).as("node-2 is no control node").isEqualTo("node-2");
        }
    }

    private static void answer(ServerSocket server, String name) {
        while (!server.isClosed()) {
            try (Socket client = server.accept(); OutputStream out = client.getOutputStream()) {
                out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                return;
            }
        }
    }

    @Test
    void labelChangesMoveSubjectsAndPeersBetweenSteps() throws LabException {
        List<ClusterNetworkPolicy> tiers = List.of(
                admin("no-y-into-x-a", 10, podSubject("x", "a"), List.of(deny(fromNamespace("y"))), List.of()));
        enforce(tiers);
        lab.check(expect(TCP80).deny("y/*", "x/a"));

        lab.relabelPod("x/b", Map.of("pod", "a"));
        enforce(tiers);
        lab.check(expect(TCP80).deny("y/*", "x/a").deny("y/*", "x/b"));

        lab.relabelNamespace("z", Map.of("ns", "y"));
        enforce(tiers);
        lab.check(expect(TCP80).deny("y/*", "x/a").deny("y/*", "x/b").deny("z/*", "x/a").deny("z/*", "x/b"));
    }
}
