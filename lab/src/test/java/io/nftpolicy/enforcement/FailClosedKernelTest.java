package io.nftpolicy.enforcement;

import static io.nftpolicy.testing.Clusters.cluster;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.FailClosed;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import io.nftpolicy.testing.PodFixture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Fail-closed mode on the real kernel: node n1's pod CIDR is 10.244.1.0/24 (gateway 10.244.1.1 on its bridge);
 * {@code dev/unknown} has a network there but is not in the snapshot, as a pod whose Pod object has not reached the
 * agent yet. No policy at all: without fail-closed every pair connects.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class FailClosedKernelTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final String GATEWAY = "10.244.1.1";
    private static final int NODE_PORT = 9099;

    private Lab lab;
    private LibnftablesExecutor kernel;
    private RulesetApplier applier;
    private FailClosed failClosed;

    @BeforeAll
    void start() throws Exception {
        lab = Lab.start(List.of(
                new LabPod("dev/known", "n1", List.of("10.244.1.10"), List.of(TCP80)),
                new LabPod("dev/peer", "n1", List.of("10.244.1.12"), List.of(TCP80)),
                new LabPod("dev/unknown", "n1", List.of("10.244.1.11"), List.of(TCP80)),
                new LabPod("dev/remote", "n2", List.of("10.244.2.10"), List.of(TCP80))),
                LabOptions.defaults().withProbeTimeout(Duration.ofMillis(300)));
        kernel = LibnftablesExecutor.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + "n1"));
        applier = new RulesetApplier(kernel);
        failClosed = new FailClosed("n1", List.of(Cidr.parse("10.244.1.0/24")));
        // A server on the node's own gateway address, as a hostNetwork service on cni0's address would be.
        lab.callIn(Lab.NODE_SOURCE_PREFIX + "n1", () -> {
            ServerSocket server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getByName(GATEWAY), NODE_PORT));
            Thread accept = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket s = server.accept()) {
                        s.getOutputStream().write('!');
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            }, "fail-closed-node-server");
            accept.setDaemon(true);
            accept.start();
            return null;
        });
    }

    @AfterAll
    void stop() {
        if (kernel != null) {
            kernel.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    private static Pod pod(String ref, String node, String ip) {
        return PodFixture.pod(ref).on(node).ips(ip).port("http", 80, Protocol.TCP).build();
    }

    private Ruleset enforce(List<Pod> pods) throws Exception {
        ClusterSnapshot snapshot = cluster().namespaces("dev").add(pods.toArray(Pod[]::new)).snapshot();
        Compilation compiled = failClosed.apply(new PolicyCompiler().compile(snapshot, "n1"), snapshot);
        applier.apply(compiled.ruleset());
        return compiled.ruleset();
    }

    private static final List<Pod> WITHOUT_UNKNOWN = List.of(pod("dev/known", "n1", "10.244.1.10"),
            pod("dev/peer", "n1", "10.244.1.12"), pod("dev/remote", "n2", "10.244.2.10"));

    private boolean connects(String from, String to) {
        return lab.connects(from, to, TCP80, IpFamily.IPV4);
    }

    /** A TCP connection from a pod's (or the node's) namespace to the node's gateway address. */
    private boolean reachesTheNode(String from) throws Exception {
        return lab.callIn(from, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getByName(GATEWAY), NODE_PORT), 300);
                return s.getInputStream().read() == '!';
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    @Test
    void anUnknownLocalAddressIsIsolatedBothWaysAndAKnownOneIsNot() throws Exception {
        enforce(WITHOUT_UNKNOWN);

        assertThat(connects("dev/peer", "dev/known")).isTrue();
        assertThat(connects("dev/remote", "dev/known")).isTrue();
        assertThat(connects("dev/known", "dev/remote")).isTrue();
        assertThat(connects("dev/peer", "dev/unknown")).as("same node, to the unknown address").isFalse();
        assertThat(connects("dev/unknown", "dev/peer")).as("same node, from the unknown address").isFalse();
        assertThat(connects("dev/remote", "dev/unknown")).as("from another node").isFalse();
        assertThat(connects("dev/unknown", "dev/remote")).as("to another node").isFalse();
    }

    @Test
    void theNodeStillReachesEveryPodAndItsOwnGatewayAddressAndOnlyKnownPodsReachTheNode() throws Exception {
        enforce(WITHOUT_UNKNOWN);

        assertThat(connects(Lab.NODE_SOURCE_PREFIX + "n1", "dev/unknown")).as("node to pod: output, unfiltered")
                .isTrue();
        assertThat(reachesTheNode(Lab.NODE_SOURCE_PREFIX + "n1")).as("the node to its own cni0 address").isTrue();
        assertThat(reachesTheNode("dev/known")).isTrue();
        assertThat(reachesTheNode("dev/unknown")).isFalse();
    }

    @Test
    void onceKnownTheAddressIsOpenAndTheKernelReadsBackWithoutDrift() throws Exception {
        enforce(WITHOUT_UNKNOWN);
        assertThat(connects("dev/peer", "dev/unknown")).isFalse();

        Ruleset ruleset = enforce(List.of(WITHOUT_UNKNOWN.get(0), WITHOUT_UNKNOWN.get(1), WITHOUT_UNKNOWN.get(2),
                pod("dev/unknown", "n1", "10.244.1.11")));

        assertThat(connects("dev/peer", "dev/unknown")).isTrue();
        assertThat(connects("dev/unknown", "dev/remote")).isTrue();
        assertThat(reachesTheNode("dev/unknown")).isTrue();
        assertThat(applier.verify(ruleset).differences()).isEmpty();
    }
}
