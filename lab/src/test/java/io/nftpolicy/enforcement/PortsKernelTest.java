package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.emptyPort;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.ipBlock;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.named;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.portWithoutProtocol;
import static io.nftpolicy.testing.Policies.ports;
import static io.nftpolicy.testing.Policies.protocolOnly;
import static io.nftpolicy.testing.Policies.range;
import static io.nftpolicy.testing.Policies.rule;
import static io.nftpolicy.testing.Policies.sctp;
import static io.nftpolicy.testing.Policies.tcp;
import static io.nftpolicy.testing.Policies.udp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.lab.LabException;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.Policies;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Which protocols and ports a rule opens: semantics.md "Ports" and the ports rows of "Empty vs absent". Every pod
 * serves TCP 80, 81, 82 and UDP 80, 81 and names its ports serve-&lt;port&gt;-&lt;protocol&gt; (see
 * {@link UpstreamModel}); a test probes the endpoints it opens and at least one it must leave closed.
 */
class PortsKernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint TCP81 = Endpoint.tcp(81);
    private static final Endpoint TCP82 = Endpoint.tcp(82);
    private static final Endpoint UDP80 = Endpoint.udp(80);
    private static final Endpoint UDP81 = Endpoint.udp(81);

    /** x/a accepts anyone on these ports, nothing else. */
    private static NetworkPolicy xaAccepts(PolicyPort... ports) {
        return ingress("x/a-ports", labels("pod=a"), ports(ports));
    }

    private static Expect open(Endpoint endpoint) {
        return expect(endpoint);
    }

    private static Expect closedIntoXA(Endpoint endpoint) {
        return expect(endpoint).denyTo("x/a");
    }

    @Test
    void aSingleTcpPortOpensThatPortAndNoOtherPortOrProtocol() throws LabException {
        lab.enforce(xaAccepts(tcp(80)));

        lab.check(open(TCP80), closedIntoXA(TCP81), closedIntoXA(UDP80));
    }

    @Test
    void aUdpOnlyPolicyNeverOpensTcpButStillIsolatesThePodForTcp() throws LabException {
        lab.enforce(xaAccepts(udp(80)));

        lab.check(open(UDP80), closedIntoXA(TCP80), closedIntoXA(UDP81));
    }

    @Test
    void anSctpOnlyPolicyNeverOpensTcpOrUdpButStillIsolatesThePodForThem() throws LabException {
        lab.enforce(xaAccepts(sctp(80)));

        assertThat(lab.script(UpstreamModel.NODE1)).as("SCTP is compiled").contains("sctp . 80");
        lab.check(closedIntoXA(TCP80), closedIntoXA(UDP80), closedIntoXA(TCP81));
    }

    @Test
    void theProtocolDefaultsToTcp() throws LabException {
        lab.enforce(xaAccepts(portWithoutProtocol(80)));

        lab.check(open(TCP80), closedIntoXA(UDP80), closedIntoXA(TCP81));
    }

    @Test
    void aPortEntryWithoutPortOrProtocolMeansEveryTcpPortOnly() throws LabException {
        lab.enforce(xaAccepts(emptyPort()));

        lab.check(open(TCP80), open(TCP81), open(TCP82), closedIntoXA(UDP80), closedIntoXA(UDP81));
    }

    @Test
    void aPortEntryWithOnlyAProtocolMeansEveryPortOfThatProtocol() throws LabException {
        lab.enforce(xaAccepts(protocolOnly("UDP")));

        lab.check(open(UDP80), open(UDP81), closedIntoXA(TCP80), closedIntoXA(TCP81));
    }

    @Test
    void endPortOpensAnInclusiveRangeAndNothingBeyondIt() throws LabException {
        lab.enforce(xaAccepts(range("TCP", 80, 81)),
                ingress("x/b-ports", labels("pod=b"), ports(range("TCP", 81, 81))));

        lab.check(open(TCP81),
                expect(TCP80).denyTo("x/b"),
                expect(TCP82).denyTo("x/a", "x/b"),
                expect(UDP80).denyTo("x/a", "x/b"));
    }

    @Test
    void overlappingPortRangesOfSeveralRulesAndPoliciesOpenEachPortForItsOwnPeersOnly() throws LabException {
        lab.enforce(
                ingress("x/a-ranges", labels("pod=a"),
                        rule(List.of(namespaces(labels("ns=y"))), List.of(range("TCP", 80, 81))),
                        rule(List.of(namespaces(labels("ns=z"))), List.of(range("TCP", 81, 82), tcp(81)))),
                ingress("x/a-more", labels("pod=a"),
                        rule(List.of(Policies.pods(labels("pod=b"))), List.of(tcp(82), range("UDP", 80, 81)))));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/*"),
                expect(TCP81).denyTo("x/a").allowTo("x/a", "y/*", "z/*"),
                expect(TCP82).denyTo("x/a").allowTo("x/a", "z/*", "x/b"),
                expect(UDP80).denyTo("x/a").allowTo("x/a", "x/b"),
                expect(UDP81).denyTo("x/a").allowTo("x/a", "x/b"));
    }

    @Test
    void aNamedPortOnIngressOpensTheNumberTheNameHasOnTheSelectedPodAndNothingElse() throws LabException {
        lab.enforce(xaAccepts(named("TCP", "serve-80-tcp")));

        lab.check(open(TCP80), closedIntoXA(TCP81), closedIntoXA(TCP82), closedIntoXA(UDP80));
    }

    @Test
    void aNamedPortOnEgressResolvesOnEachDestinationPod() throws LabException {
        lab.enforce(egress("x/a-to-y-by-name", labels("pod=a"),
                rule(List.of(namespaces(labels("ns=y"))), List.of(named("TCP", "serve-81-tcp")))));

        lab.check(expect(TCP81).denyFrom("x/a").allowFrom("x/a", "y/*"),
                expect(TCP80).denyFrom("x/a"), expect(UDP81).denyFrom("x/a"));
    }

    @Test
    void aNamedPortOnEgressWithoutToResolvesOnEveryDestinationPod() throws LabException {
        lab.enforce(egress("x/a-udp81-by-name", labels("pod=a"), ports(named("UDP", "serve-81-udp"))));

        lab.check(expect(UDP81), expect(UDP80).denyFrom("x/a"), expect(TCP81).denyFrom("x/a"));
    }

    @Test
    void numbersAndNamesMixedInOneRuleOpenExactlyTheirUnionInBothDirections() throws LabException {
        List<PolicyPort> mixed = List.of(tcp(80), named("UDP", "serve-81-udp"));
        lab.enforce(ingress("x/a-from-y-mixed", labels("pod=a"), rule(List.of(namespaces(labels("ns=y"))), mixed)),
                egress("x/b-to-z-mixed", labels("pod=b"), rule(List.of(namespaces(labels("ns=z"))), mixed)));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/*").denyFrom("x/b").allowFrom("x/b", "z/*"),
                expect(UDP81).denyTo("x/a").allowTo("x/a", "y/*").denyFrom("x/b").allowFrom("x/b", "z/*"),
                expect(TCP81).denyTo("x/a").denyFrom("x/b"),
                expect(UDP80).denyTo("x/a").denyFrom("x/b"));
    }

    @Test
    void aNamedPortMatchesOnlyWhenNameAndProtocolBothMatch() throws LabException {
        lab.enforce(
                // serve-80-udp is a UDP port: asked for as TCP (explicitly, or by default) it opens nothing
                xaAccepts(named("TCP", "serve-80-udp")),
                ingress("x/b-ports", labels("pod=b"), ports(named(null, "serve-80-udp"))),
                // asked for as UDP it opens UDP 80 only
                ingress("x/c-ports", labels("pod=c"), ports(named("UDP", "serve-80-udp"))));

        lab.check(expect(TCP80).denyTo("x/a", "x/b", "x/c"),
                expect(UDP80).denyTo("x/a", "x/b"),
                expect(UDP81).denyTo("x/a", "x/b", "x/c"));
    }

    @Test
    void aNamedPortToAnIpBlockResolvesOnTheDestinationPodsItCoversAndFromAnIpBlockOnTheSelectedPod() throws LabException {
        lab.enforce(
                // egress: the destination's address is in the block and is a pod's: the name resolves on that pod
                egress("x/a-to-node-2-by-name", labels("pod=a"),
                        rule(List.of(ipBlock("10.244.2.0/24")), List.of(named("TCP", "serve-80-tcp")))),
                // ingress: the name resolves on the selected pod; the ipBlock is only the source
                ingress("x/b-from-node-2-by-name", labels("pod=b"),
                        rule(List.of(ipBlock("10.244.2.0/24")), List.of(named("TCP", "serve-80-tcp")))));

        lab.check(expect(TCP80).denyFrom("x/a").allowFrom("x/a", "x/c", "y/c", "z/b", "z/c")
                        .denyTo("x/b").allowTo("x/b", "x/c", "y/c", "z/b", "z/c"),
                expect(TCP81).denyFrom("x/a").denyTo("x/b"),
                expect(UDP80).denyFrom("x/a").denyTo("x/b"));
    }
}
