package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.net.IpFamily.IPV4;
import static io.nftpolicy.net.IpFamily.IPV6;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.denyAll;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.ipBlock;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.peers;
import static io.nftpolicy.testing.Policies.pods;
import static io.nftpolicy.testing.Policies.podsInNamespaces;
import static io.nftpolicy.testing.Policies.rule;
import static io.nftpolicy.testing.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.lab.LabException;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.Policies;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The upstream model dual-stack: every pod also has fd00:10:244:&lt;node&gt;::&lt;host&gt; (x/a fd00:10:244:1::2,
 * ..., node-2's pods in fd00:10:244:2::/64). Policies hold over IPv6 as over IPv4, and neighbour discovery (ICMPv6
 * 133-137) passes isolated pods, without which no IPv6 packet would reach an allowed peer at all.
 */
class Ipv6KernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint TCP81 = Endpoint.tcp(81);
    private static final Endpoint UDP80 = Endpoint.udp(80);

    @Override
    UpstreamModel model() {
        return UpstreamModel.dualStack();
    }

    @Test
    void withoutPoliciesEveryPodReachesEveryPodOverBothFamilies() {
        lab.check(expect(TCP80).over(IPV4, IPV6), expect(UDP80).over(IPV4, IPV6));
    }

    @Test
    void ingressSelectorPeersHoldOverIpv6AsOverIpv4() throws LabException {
        lab.enforce(ingress("x/a-from-y-and-b", labels("pod=a"),
                rule(List.of(namespaces(labels("ns=y")), pods(labels("pod=b"))), List.of(tcp(80)))));

        lab.check(expect(TCP80).over(IPV4, IPV6).denyTo("x/a").allowTo("x/a", "y/*", "x/b"),
                expect(TCP81).over(IPV4, IPV6).denyTo("x/a"));
    }

    @Test
    void egressSelectorPeersHoldOverIpv6AsOverIpv4() throws LabException {
        lab.enforce(egress("x/a-to-z", labels("pod=a"), peers(namespaces(labels("ns=z")))));

        lab.check(expect(TCP80).over(IPV4, IPV6).denyFrom("x/a").allowFrom("x/a", "z/*"),
                expect(UDP80).over(IPV4, IPV6).denyFrom("x/a").allowFrom("x/a", "z/*"));
    }

    @Test
    void anIpv6IpBlockWithExceptAllowsItsIpv6AddressesOnly() throws LabException {
        // node-1's and node-2's pod /64s are inside the /48; node-2's is excepted. Nothing is said of IPv4.
        lab.enforce(ingress("x/a-from-v6", labels("pod=a"), peers(ipBlock("fd00:10:244::/48", "fd00:10:244:2::/64"))));

        lab.check(expect(TCP80).over(IPV6).denyTo("x/a").allowTo("x/a", "x/b", "y/a", "y/b", "z/a"),
                expect(TCP80).over(IPV4).denyTo("x/a"));
    }

    @Test
    void egressToAnIpv6IpBlockWithExcept() throws LabException {
        // fd00:10:244:2::4/127 is z/b (::4) and z/c (::5)
        lab.enforce(egress("x/a-to-node-2-v6", labels("pod=a"),
                peers(ipBlock("fd00:10:244:2::/64", "fd00:10:244:2::4/127"))));

        lab.check(expect(TCP80).over(IPV6).denyFrom("x/a").allowFrom("x/a", "x/c", "y/c"),
                expect(TCP80).over(IPV4).denyFrom("x/a"));
    }

    @Test
    void egressToEverythingButOneIpv6AddressAndNamedPortsResolvePerFamily() throws LabException {
        lab.enforce(
                egress("x/a-anywhere-but-yc", labels("pod=a"), peers(ipBlock("::/0", "fd00:10:244:2::3/128"))),
                egress("x/b-to-y-by-name", labels("pod=b"),
                        rule(List.of(namespaces(labels("ns=y"))), List.of(Policies.named("TCP", "serve-81-tcp")))));

        // x/a: IPv6 anywhere but y/c, no IPv4 at all. x/b: TCP 81 (serve-81-tcp) to y's pods, over both families.
        lab.check(expect(TCP80).over(IPV6).deny("x/a", "y/c").denyFrom("x/b"),
                expect(TCP80).over(IPV4).denyFrom("x/a", "x/b"),
                expect(TCP81).over(IPV6).deny("x/a", "y/c").denyFrom("x/b").allowFrom("x/b", "y/*"),
                expect(TCP81).over(IPV4).denyFrom("x/a", "x/b").allowFrom("x/b", "y/*"));
    }

    @Test
    void anEgressNamedPortToAnIpv6IpBlockResolvesOnTheDestinationPodsItCoversMinusExcept() throws LabException {
        // node-2's /64, z/b (::4) and z/c (::5) excepted: x/c and y/c remain, by their IPv6 addresses only
        lab.enforce(egress("x/a-by-name-to-node-2-v6", labels("pod=a"),
                rule(List.of(ipBlock("fd00:10:244:2::/64", "fd00:10:244:2::4/127")),
                        List.of(Policies.named("TCP", "serve-81-tcp"), Policies.named("UDP", "serve-80-udp")))));

        lab.check(expect(TCP81).over(IPV6).denyFrom("x/a").allowFrom("x/a", "x/c", "y/c"),
                expect(UDP80).over(IPV6).denyFrom("x/a").allowFrom("x/a", "x/c", "y/c"),
                expect(TCP80).over(IPV6).denyFrom("x/a"),
                expect(TCP81).over(IPV4).denyFrom("x/a"),
                expect(UDP80).over(IPV4).denyFrom("x/a"));
    }

    @Test
    void neighbourDiscoveryAndArpPassUnderDenyAllSoThatAllowedPeersConnect() throws Exception {
        lab.enforce(denyAll("x/deny-all", all()), denyAll("y/deny-all", all()), denyAll("z/deny-all", all()),
                egress("x/a-out", labels("pod=a"), peers(pods(labels("pod=b")),           // same node, bridged
                        podsInNamespaces(labels("pod=c"), labels("ns=y")))),            // other node
                ingress("x/b-in", labels("pod=b"), peers(pods(labels("pod=a")))),
                ingress("y/c-in", labels("pod=c"), peers(podsInNamespaces(labels("pod=a"), labels("ns=x")))));
        // Forget every learnt neighbour, so that each probe below first has to resolve its next hop under these
        // rules: x/a -> x/b directly on the bridge, x/a -> its gateway, node-2 -> y/c.
        for (String pod : lab.lab().podNames()) {
            ip(lab.lab().namespaceOf(pod), "neigh", "flush", "dev", "eth0");
        }
        for (String node : lab.lab().nodeNames()) {
            ip(lab.lab().namespaceOf("node/" + node), "neigh", "flush", "dev", "cni0");
        }
        assertThat(ip(lab.lab().namespaceOf("x/a"), "-6", "neigh", "show", "dev", "eth0"))
                .doesNotContain("fd00:10:244:1::3 lladdr");

        lab.check(expect(TCP80).over(IPV4, IPV6).denyAll().allowFrom("x/a", "x/b", "y/c"));

        assertThat(ip(lab.lab().namespaceOf("x/a"), "-6", "neigh", "show", "dev", "eth0"))
                .as("x/a resolved x/b by neighbour discovery").contains("fd00:10:244:1::3 lladdr");
        assertThat(lab.connects("node/node-1", "x/a", TCP80, IPV6)).as("the node reaches its pod over IPv6").isTrue();
    }

    private static String ip(String netns, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("ip", "-n", netns));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s: %s", command, output).isZero();
        return output;
    }
}
