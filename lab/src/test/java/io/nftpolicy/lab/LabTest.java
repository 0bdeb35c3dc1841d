package io.nftpolicy.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.testing.KernelTest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The lab against the real kernel: needs root (skipped otherwise). One two-node lab is shared by the tests that only
 * change rulesets; the tests about starting and closing build their own.
 *
 * <pre>
 * node n1: x/a 10.244.1.2 fd00:10:244:1::2   x/b 10.244.1.3 fd00:10:244:1::3   x/c 172.17.1.5 (v4 only)
 * node n2: y/a 10.244.2.2 fd00:10:244:2::2   y/b 10.244.2.3 fd00:10:244:2::3   y/c fd00:10:244:2::4 (v6 only)
 * </pre>
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class LabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint TCP81 = Endpoint.tcp(81);
    private static final Endpoint UDP80 = Endpoint.udp(80);
    private static final Endpoint UDP81 = Endpoint.udp(81);
    private static final List<Endpoint> SERVED = List.of(TCP80, TCP81, UDP80, UDP81);
    private static final Duration TIMEOUT = Duration.ofMillis(500);

    private static final String DROP_TCP80_TO_YB_IN_FORWARD = """
            table inet t {
              chain f {
                type filter hook forward priority 0; policy accept;
                ip daddr 10.244.2.3 tcp dport 80 drop
              }
            }
            """;

    private Lab lab;

    static List<LabPod> twoNodes() {
        return List.of(
                new LabPod("x/a", "n1", List.of("10.244.1.2", "fd00:10:244:1::2"), SERVED),
                new LabPod("x/b", "n1", List.of("10.244.1.3", "fd00:10:244:1::3"), SERVED),
                new LabPod("x/c", "n1", List.of("172.17.1.5"), SERVED),
                new LabPod("y/a", "n2", List.of("10.244.2.2", "fd00:10:244:2::2"), SERVED),
                new LabPod("y/b", "n2", List.of("10.244.2.3", "fd00:10:244:2::3"), SERVED),
                new LabPod("y/c", "n2", List.of("fd00:10:244:2::4"), SERVED));
    }

    @BeforeAll
    void startLab() throws LabException {
        long start = System.nanoTime();
        lab = Lab.start(twoNodes(), LabOptions.defaults().withProbeTimeout(TIMEOUT));
        System.out.printf("lab %s started in %d ms%n%s", lab.prefix(), (System.nanoTime() - start) / 1_000_000,
                lab.describe());
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @BeforeEach
    void noRules() throws LabException {
        lab.load("n1", "");
        lab.load("n2", "");
    }

    @Test
    void withoutRulesEveryPodReachesEveryPodOnBothNodesOverBothFamilies() {
        long start = System.nanoTime();
        Reachability r = lab.probe(SERVED);
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("probed " + r.cells().size() + " cells, none blocked, in " + millis + " ms");

        // 5 pods have IPv4 and 5 have IPv6: 25 cells per family, endpoint
        assertThat(r.cells()).hasSize(4 * (25 + 25));
        assertThat(r.cells()).allSatisfy((cell, allowed) -> assertThat(allowed).as(cell.toString()).isTrue());
        assertThat(r.allowed(TCP80, IpFamily.IPV4, "x/a", "x/b")).isTrue(); // same node, bridged
        assertThat(r.allowed(UDP81, IpFamily.IPV6, "x/a", "y/c")).isTrue(); // cross node, over flannel.1
        assertThat(r.allowed(TCP81, IpFamily.IPV4, "x/c", "y/b")).isTrue(); // from the second subnet on cni0
        assertThatThrownBy(() -> r.allowed(TCP80, IpFamily.IPV6, "x/c", "y/c")) // x/c has no IPv6
                .isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void aDropInTheDestinationNodesForwardHookBlocksExactlyThatCellForSameAndCrossNodeSources()
            throws LabException {
        lab.load("n2", DROP_TCP80_TO_YB_IN_FORWARD);
        Reachability r = lab.probe(List.of(TCP80, UDP80, TCP81));
        System.out.println(r.render());

        Map<Reachability.Cell, Boolean> expected = new LinkedHashMap<>();
        r.cells().keySet().forEach(cell -> expected.put(cell, !(cell.endpoint().equals(TCP80)
                && cell.family() == IpFamily.IPV4 && cell.to().equals("y/b") && !cell.from().equals("y/b"))));
        assertThat(r.differences(new Reachability(expected))).isEmpty();
        assertThat(r.allowed(TCP80, IpFamily.IPV4, "y/a", "y/b")).as("same node: bridged, br_netfilter").isFalse();
        assertThat(r.allowed(TCP80, IpFamily.IPV4, "x/a", "y/b")).as("cross node").isFalse();
        assertThat(r.allowed(TCP80, IpFamily.IPV4, "y/b", "y/b")).as("loopback never leaves the pod").isTrue();
        assertThat(r.allowed(UDP80, IpFamily.IPV4, "y/a", "y/b")).isTrue();
        assertThat(r.allowed(TCP80, IpFamily.IPV6, "y/a", "y/b")).isTrue();
    }

    @Test
    void blockedProbesWaitSideBySide() throws LabException {
        lab.load("n2", """
                table inet t {
                  chain f {
                    type filter hook forward priority 0; policy drop;
                  }
                }
                """);
        long start = System.nanoTime();
        Reachability r = lab.probe(SERVED);
        long millis = (System.nanoTime() - start) / 1_000_000;
        long blocked = r.cells().values().stream().filter(allowed -> !allowed).count();
        System.out.println("probed " + r.cells().size() + " cells, " + blocked + " blocked, in " + millis + " ms");

        assertThat(blocked).isGreaterThan(100); // everything into, out of and within n2 except loopback
        assertThat(r.allowed(TCP80, IpFamily.IPV4, "x/a", "x/b")).isTrue(); // n1 alone
        // One after another they would take over 100 timeouts; side by side about one.
        assertThat(millis).isBetween(TIMEOUT.toMillis() - 50, 4 * TIMEOUT.toMillis());
    }

    @Test
    void crossNodeTrafficAlsoPassesTheSourceNodesForwardHookButSameNodeTrafficElsewhereDoesNot()
            throws LabException {
        lab.load("n1", DROP_TCP80_TO_YB_IN_FORWARD);

        assertThat(lab.connects("x/a", "y/b", TCP80, IpFamily.IPV4)).isFalse(); // routed by n1 towards flannel.1
        assertThat(lab.connects("y/a", "y/b", TCP80, IpFamily.IPV4)).isTrue(); // bridged on n2 alone
    }

    @Test
    void trafficFromANodeToItsOwnPodsLeavesThroughOutputNotForward() throws LabException {
        // The node is the sender: its packets are locally generated, so they pass the output hook (and postrouting)
        // but never forward, even though they then leave through the bridge. A forward drop does not stop them.
        lab.load("n2", DROP_TCP80_TO_YB_IN_FORWARD);
        assertThat(lab.connects("node/n2", "y/b", TCP80, IpFamily.IPV4)).isTrue();
        assertThat(lab.connects("node/n2", "y/c", TCP80, IpFamily.IPV6)).isTrue();

        lab.load("n2", """
                table inet t {
                  chain o {
                    type filter hook output priority 0; policy accept;
                    ip daddr 10.244.2.3 tcp dport 80 drop
                  }
                }
                """);
        assertThat(lab.connects("node/n2", "y/b", TCP80, IpFamily.IPV4)).isFalse();
        assertThat(lab.connects("y/a", "y/b", TCP80, IpFamily.IPV4)).isTrue(); // pod traffic does not pass output
    }

    @Test
    void aNodeAlsoReachesOtherNodesPodsFromItsFlannelAddress() {
        assertThat(lab.connects("node/n1", "y/b", TCP80, IpFamily.IPV4)).isTrue();
        assertThat(lab.connects("node/n1", "y/c", UDP81, IpFamily.IPV6)).isTrue();
    }

    @Test
    void aRejectedScriptThrowsWithNftsWordsAndLeavesThePreviousRulesInForce() throws Exception {
        lab.load("n2", DROP_TCP80_TO_YB_IN_FORWARD);

        assertThatThrownBy(() -> lab.load("n2", "table inet t {\n  chain f {\n    bogus\n  }\n}\n"))
                .isInstanceOf(LabException.class)
                .hasMessageContaining("Error: syntax error")
                .hasMessageContaining("/dev/stdin:3:"); // the script's own line number
        // Parses, but the kernel refuses it (jump to a chain that does not exist): the transaction is undone.
        assertThatThrownBy(() -> lab.load("n2", """
                table inet t {
                  chain f {
                    type filter hook forward priority 0; policy accept;
                    jump nowhere
                  }
                }
                """)).isInstanceOf(LabException.class).hasMessageContaining("Error");

        assertThat(lab.connects("y/a", "y/b", TCP80, IpFamily.IPV4)).isFalse();
        assertThat(nft(lab.namespaceOf("node/n2"), "list ruleset")).contains("ip daddr 10.244.2.3 tcp dport 80 drop");
    }

    @Test
    void aProbeCountsOnlyAnAnswerFromTheDestinationPod() {
        InetSocketAddress ybPort80 = new InetSocketAddress("10.244.2.3", 80);
        boolean[] results = Prober.run(List.of(
                new Prober.Probe(lab.thread("x/a"), ybPort80, TCP80.protocol(), "y/b"),
                new Prober.Probe(lab.thread("x/a"), ybPort80, TCP80.protocol(), "y/a"),
                new Prober.Probe(lab.thread("x/a"), ybPort80, UDP80.protocol(), "y/a"),
                new Prober.Probe(lab.thread("x/a"), new InetSocketAddress("10.244.2.3", 82), TCP80.protocol(), "y/b"),
                new Prober.Probe(lab.thread("x/a"), new InetSocketAddress("10.244.2.3", 82), UDP80.protocol(), "y/b")),
                TIMEOUT);
        assertThat(results).containsExactly(true, false, false, false, false);
    }

    @Test
    void namespacesHoldFlannelsDevicesAndRoutes() throws Exception {
        String n1 = lab.namespaceOf("node/n1");
        assertThat(ip(n1, "-d", "link", "show", "flannel.1"))
                .contains("vxlan id 1 local 10.255.255.1 dev eth0", "dstport 4789", "nolearning");
        assertThat(ip(n1, "route", "show")).contains("10.244.2.0/24 via 10.255.254.2 dev flannel.1 onlink");
        assertThat(ip(n1, "-6", "route", "show"))
                .contains("fd00:10:244:2::/64 via fd00:fffe::2 dev flannel.1");
        assertThat(ip(n1, "addr", "show", "cni0")).contains("10.244.1.1/24", "172.17.1.1/24", "fd00:10:244:1::1/64");

        // callIn runs inside the namespace: the thread sees the pod's devices, not the host's.
        String devices = lab.callIn("x/a", () -> Files.readString(Path.of("/proc/thread-self/net/dev")));
        assertThat(devices).contains("eth0:", "lo:").doesNotContain("cni0");
        assertThat(lab.callIn("node/n2", () -> Files.readString(Path.of("/proc/thread-self/net/dev"))))
                .contains("cni0:", "flannel.1:", "veth3:");
    }

    @Test
    void aSingleNodeWithOnePodWorksAndCloseLeavesNoNamespace() throws LabException {
        String prefix = Lab.freshPrefix();
        Lab solo = Lab.start(List.of(new LabPod("s/a", "solo", List.of("10.9.8.7", "fd00:9:8::7"),
                        List.of(TCP80, UDP80))), LabOptions.defaults().withPrefix(prefix).withProbeTimeout(TIMEOUT));
        try {
            assertThat(Lab.existingNamespaces(prefix)).containsExactlyInAnyOrder(prefix + "-n0", prefix + "-p0");
            assertThat(solo.probe(List.of(TCP80, UDP80)).cells()).hasSize(4).containsValues(true)
                    .doesNotContainValue(false);
            assertThat(solo.connects("node/solo", "s/a", UDP80, IpFamily.IPV6)).isTrue();
        } finally {
            solo.close();
        }
        assertThat(Lab.existingNamespaces(prefix)).isEmpty();
        assertThat(ipNetnsList()).doesNotContain(prefix + "-");
        solo.close(); // idempotent
        assertThatThrownBy(() -> solo.probe(List.of(TCP80))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void threeNodesJoinThroughTheUnderlaySwitch() throws LabException {
        try (Lab three = Lab.start(List.of(
                new LabPod("a/a", "m1", List.of("10.20.1.2", "fd00:20:1::2"), List.of(TCP80)),
                new LabPod("b/b", "m2", List.of("10.20.2.2", "fd00:20:2::2"), List.of(TCP80)),
                new LabPod("c/c", "m3", List.of("10.20.3.2", "fd00:20:3::2"), List.of(TCP80))),
                LabOptions.defaults().withProbeTimeout(TIMEOUT))) {
            Reachability r = three.probe(List.of(TCP80));
            assertThat(r.cells()).hasSize(18).doesNotContainValue(false);
            assertThat(Lab.existingNamespaces(three.prefix())).contains(three.prefix() + "-u");
        }
    }

    @Test
    void aStartThatFailsPlanningCreatesNothing() throws LabException {
        String prefix = Lab.freshPrefix();
        assertThatThrownBy(() -> Lab.start(List.of(
                new LabPod("x/a", "n1", List.of("10.244.1.2"), SERVED),
                new LabPod("y/a", "n2", List.of("10.244.1.3"), SERVED)), LabOptions.defaults().withPrefix(prefix)))
                .isInstanceOf(LabException.class)
                .hasMessageContaining("subnet 10.244.1.0/24 would be on two nodes: n1 (pod x/a) and n2 (pod y/a)");
        assertThat(ipNetnsList()).doesNotContain(prefix + "-");
    }

    @Test
    void aStartThatFailsHalfwayRemovesWhatItCreated() throws LabException {
        for (String failingStep : List.of("namespaces", "threads", "links", "servers")) {
            String prefix = Lab.freshPrefix();
            assertThatThrownBy(() -> Lab.start(twoNodes(), LabOptions.defaults().withPrefix(prefix), step -> {
                if (step.equals(failingStep)) {
                    assertThat(Lab.existingNamespaces(prefix)).hasSize(9); // switch, 2 nodes, 6 pods
                    throw new LabException("injected failure after " + step);
                }
            })).isInstanceOf(LabException.class).hasMessage("injected failure after " + failingStep);
            assertThat(ipNetnsList()).as("after failing at " + failingStep).doesNotContain(prefix + "-");
        }
    }

    private static String ipNetnsList() {
        try {
            Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out;
        } catch (IOException | InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static String ip(String netns, String... args) throws IOException, InterruptedException {
        List<String> argv = new java.util.ArrayList<>(List.of("ip", "-n", netns));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }

    private static String nft(String netns, String command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "exec", netns, "nft", command).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return out;
    }
}
