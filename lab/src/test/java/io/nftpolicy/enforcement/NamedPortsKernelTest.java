package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.ipBlock;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.named;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.ports;
import static io.nftpolicy.testing.Policies.rule;

import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.lab.LabException;
import io.nftpolicy.reachability.Endpoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One port name, different numbers on different pods: named ports resolve on the DESTINATION pod (semantics.md
 * "Ports"; the bugs of this kind: OVN-K opened other ports, Cilium dropped the egress rule when a name maps to
 * several numbers, AWS resolved on the wrong pod). On top of the upstream ports, the snapshot gives:
 *
 * <pre>
 * x/a x/b x/c   web = TCP 82     (the egress tests' source x/a: resolving on it would open 82 everywhere)
 * y/a           web = TCP 80     (node-1)
 * y/b           web = TCP 81     (node-1, same node as y/a: one ingress policy, two resolutions)
 * y/c           no port named web
 * z/a z/b       web = TCP 80
 * z/c           web = TCP 80 and web = UDP 81
 * </pre>
 */
class NamedPortsKernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint TCP81 = Endpoint.tcp(81);
    private static final Endpoint TCP82 = Endpoint.tcp(82);
    private static final Endpoint UDP80 = Endpoint.udp(80);
    private static final Endpoint UDP81 = Endpoint.udp(81);

    static List<ContainerPort> containerPorts(String pod) {
        List<ContainerPort> ports = new ArrayList<>(UpstreamModel.UPSTREAM_PORTS);
        switch (pod) {
            case "x/a", "x/b", "x/c" -> ports.add(ContainerPort.named("web", 82, Protocol.TCP));
            case "y/a", "z/a", "z/b" -> ports.add(ContainerPort.named("web", 80, Protocol.TCP));
            case "y/b" -> ports.add(ContainerPort.named("web", 81, Protocol.TCP));
            case "z/c" -> {
                ports.add(ContainerPort.named("web", 80, Protocol.TCP));
                ports.add(ContainerPort.named("web", 81, Protocol.UDP));
            }
            default -> { }
        }
        return ports;
    }

    @Override
    UpstreamModel model() {
        return UpstreamModel.withPorts(NamedPortsKernelTest::containerPorts);
    }

    @Test
    void anIngressNamedPortOpensOnEachSelectedPodTheNumberItHasThere() throws LabException {
        lab.enforce(ingress("y/web-from-anyone", all(), ports(named("TCP", "web"))));

        lab.check(expect(TCP80).denyTo("y/b", "y/c"),
                expect(TCP81).denyTo("y/a", "y/c"),
                expect(TCP82).denyTo("y/*"),
                expect(UDP81).denyTo("y/*"));
    }

    @Test
    void anEgressNamedPortResolvesOnEachDestinationPodAndNotOnTheSource() throws LabException {
        lab.enforce(egress("x/a-web-anywhere", labels("pod=a"),
                rule(List.of(namespaces(all())), List.of(named("TCP", "web")))));

        lab.check(egressByName());
    }

    @Test
    void anEgressNamedPortWithoutToResolvesOnEveryDestinationPodThatHasTheName() throws LabException {
        lab.enforce(egress("x/a-web-anywhere", labels("pod=a"), ports(named("TCP", "web"))));

        lab.check(egressByName());
    }

    private static Expect[] egressByName() {
        return new Expect[] {
            expect(TCP80).denyFrom("x/a").allowFrom("x/a", "y/a", "z/a", "z/b", "z/c"),
            expect(TCP81).denyFrom("x/a").allowFrom("x/a", "y/b"),
            expect(TCP82).denyFrom("x/a").allowFrom("x/a", "x/b", "x/c"),
            expect(UDP80).denyFrom("x/a"),
        };
    }

    @Test
    void anEgressNamedPortMatchesOnlyDestinationsWhereNameAndProtocolBothMatch() throws LabException {
        lab.enforce(egress("x/a-web-udp", labels("pod=a"), ports(named("UDP", "web"))));

        lab.check(expect(UDP81).denyFrom("x/a").allowFrom("x/a", "z/c"),
                expect(UDP80).denyFrom("x/a"),
                expect(TCP80).denyFrom("x/a"));
    }

    @Test
    void anEgressNamedPortToAnIpBlockResolvesOnEachDestinationPodTheBlockCoversMinusExcept() throws LabException {
        // The block covers every pod; z/c (10.244.2.5) and x/b (10.244.1.3) are excepted. The reference matcher
        // checks the block and the port together, the port name being the destination pod's.
        lab.enforce(egress("x/a-web-to-the-pod-network", labels("pod=a"),
                rule(List.of(ipBlock("10.244.0.0/16", "10.244.2.5/32", "10.244.1.3/32")), List.of(named("TCP", "web")))));

        lab.check(expect(TCP80).denyFrom("x/a").allowFrom("x/a", "y/a", "z/a", "z/b"),
                expect(TCP81).denyFrom("x/a").allowFrom("x/a", "y/b"),
                expect(TCP82).denyFrom("x/a").allowFrom("x/a", "x/c"),
                expect(UDP81).denyFrom("x/a"));
    }

    @Test
    void anEgressNamedPortToAnIpBlockFollowsTheProtocolOfTheDestinationsPort() throws LabException {
        // node-2's pods: x/c (web TCP 82), y/c (no web), z/b (web TCP 80), z/c (web TCP 80 and UDP 81)
        lab.enforce(egress("x/a-web-udp-to-node-2", labels("pod=a"),
                rule(List.of(ipBlock("10.244.2.0/24")), List.of(named("UDP", "web"), named("TCP", "web")))));

        lab.check(expect(UDP81).denyFrom("x/a").allowFrom("x/a", "z/c"),
                expect(TCP80).denyFrom("x/a").allowFrom("x/a", "z/b", "z/c"),
                expect(TCP82).denyFrom("x/a").allowFrom("x/a", "x/c"),
                expect(TCP81).denyFrom("x/a"),
                expect(UDP80).denyFrom("x/a"));
    }
}
