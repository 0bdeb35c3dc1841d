package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.expressions;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.ipBlock;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.named;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.peers;
import static io.nftpolicy.testing.Policies.pods;
import static io.nftpolicy.testing.Policies.podsInNamespaces;
import static io.nftpolicy.testing.Policies.policy;
import static io.nftpolicy.testing.Policies.ports;
import static io.nftpolicy.testing.Policies.range;
import static io.nftpolicy.testing.Policies.requirement;
import static io.nftpolicy.testing.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.lab.LabException;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.PodFixture;
import io.nftpolicy.testing.Policies;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Policies the API server would reject (snapshots from files never met one): the compiler names the policy and the
 * field, enforces every valid policy, and keeps the pods an invalid policy selects isolated with none of its
 * allowances (fail closed). Covers the validity rules of semantics.md: ipBlock (cidr, except strictly inside, not
 * with selectors), selector operators and values, ports (1-65535 or a name, endPort), protocols, policyTypes.
 * A policy the compiler throws on is failed the same way, alone; and an ipBlock whose excepts cover its whole cidr
 * (which the API server accepts, and which once crashed the compiler) matches nothing.
 */
class InvalidPolicyKernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);

    @Test
    void anInvalidPolicyIsReportedAndFailsClosedWhileTheValidOnesAreEnforced() throws LabException {
        List<Diagnostic> diagnostics = lab.enforceAllowingDiagnostics(List.of(
                // selects x/a and x/c; its only rule would let 10.244.0.0/16 in, but the cidr is invalid
                ingress("x/bad", expressions(requirement("pod", "In", "a", "c")), peers(ipBlock("10.244.0.0/33"))),
                ingress("x/a-from-y", labels("pod=a"), peers(namespaces(labels("ns=y")))),
                ingress("x/b-from-z", labels("pod=b"), peers(namespaces(labels("ns=z"))))));

        assertThat(diagnostics).as(lab.state()).singleElement().satisfies(d -> {
            assertThat(d.kind()).isEqualTo("NetworkPolicy");
            assertThat(d.object()).isEqualTo("x/bad");
            assertThat(d.field()).isEqualTo("spec.ingress[0].from[0].ipBlock.cidr");
            assertThat(d.format()).contains("10.244.0.0/33");
        });
        lab.check(expect(TCP80)
                .denyTo("x/a").allowTo("x/a", "y/*")  // x/bad grants nothing, x/a-from-y still holds
                .denyTo("x/b").allowTo("x/b", "z/*")  // untouched by x/bad
                .denyTo("x/c"));                      // selected by x/bad alone: isolated, nothing allowed
    }

    @Test
    void anIpBlockWhoseExceptsCoverItsCidrMatchesNothingAndItsPodsStayIsolated() throws LabException {
        lab.enforce(
                ingress("x/a-covered", labels("pod=a"), peers(ipBlock("10.244.0.0/16", "10.244.0.0/17", "10.244.128.0/17"))),
                ingress("x/b-from-y", labels("pod=b"), peers(namespaces(labels("ns=y")))));

        lab.check(expect(TCP80).denyTo("x/a").denyTo("x/b").allowTo("x/b", "y/*"));
    }

    @Test
    void aPolicyTheCompilerThrowsOnIsReportedAndFailsClosedWhileTheOthersAreEnforced() throws LabException {
        // A container port out of range reaching the compiler (the converters drop it): resolving x/a's named port
        // "bad" throws. Only x/bad, which uses it, fails.
        lab.updatePod("x/a", p -> PodFixture.from(p).port("bad", 70000, Protocol.TCP).build());
        List<Diagnostic> diagnostics = lab.enforceAllowingDiagnostics(List.of(
                ingress("x/bad", labels("pod=a"), ports(named("TCP", "bad"), tcp(80))),
                ingress("x/b-from-y", labels("pod=b"), peers(namespaces(labels("ns=y"))))));

        assertThat(diagnostics).as(lab.state()).singleElement().satisfies(d -> {
            assertThat(d.object()).isEqualTo("x/bad");
            assertThat(d.field()).isEqualTo("spec.ingress[0]");
            assertThat(d.effect()).contains("fail closed");
        });
        lab.check(expect(TCP80).denyTo("x/a").denyTo("x/b").allowTo("x/b", "y/*"));
    }

    /** One broken field; the policy selects x/a and would allow everything if it were valid. */
    static Stream<Arguments> invalidPolicies() {
        return Stream.of(
                ingressCase("cidr prefix too long", peers(ipBlock("10.244.0.0/33")),
                        "spec.ingress[0].from[0].ipBlock.cidr"),
                ingressCase("cidr not an address", peers(ipBlock("10.244.0/16")),
                        "spec.ingress[0].from[0].ipBlock.cidr"),
                ingressCase("cidr missing", peers(ipBlock("")), "spec.ingress[0].from[0].ipBlock.cidr"),
                ingressCase("except outside the cidr", peers(ipBlock("10.244.1.0/24", "10.244.2.0/24")),
                        "spec.ingress[0].from[0].ipBlock.except[0]"),
                ingressCase("except equal to the cidr", peers(ipBlock("10.244.1.0/24", "10.244.1.0/24")),
                        "spec.ingress[0].from[0].ipBlock.except[0]"),
                ingressCase("ipBlock with a podSelector", peers(new PolicyPeer(Optional.of(labels("pod=b")),
                        Optional.empty(), Optional.of(new io.nftpolicy.policy.IpBlock("10.244.0.0/16", List.of())))),
                        "spec.ingress[0].from[0]"),
                ingressCase("peer with nothing", peers(new PolicyPeer(Optional.empty(), Optional.empty(),
                        Optional.empty())), "spec.ingress[0].from[0]"),
                ingressCase("In without values", peers(pods(expressions(requirement("pod", "In")))),
                        "spec.ingress[0].from[0].podSelector.matchExpressions[0].values"),
                ingressCase("NotIn without values", peers(podsInNamespaces(labels("pod=b"),
                        expressions(requirement("ns", "NotIn")))),
                        "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values"),
                ingressCase("Exists with values", peers(namespaces(expressions(requirement("ns", "Exists", "y")))),
                        "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values"),
                ingressCase("DoesNotExist with values", peers(pods(expressions(requirement("tier", "DoesNotExist", "db")))),
                        "spec.ingress[0].from[0].podSelector.matchExpressions[0].values"),
                ingressCase("unknown operator", peers(pods(expressions(requirement("pod", "Equals", "b")))),
                        "spec.ingress[0].from[0].podSelector.matchExpressions[0].operator"),
                ingressCase("port 0", ports(tcp(0)), "spec.ingress[0].ports[0].port"),
                ingressCase("port 65536", ports(tcp(65536)), "spec.ingress[0].ports[0].port"),
                ingressCase("endPort below port", ports(range("TCP", 81, 80)), "spec.ingress[0].ports[0].endPort"),
                ingressCase("endPort above 65535", ports(range("TCP", 80, 65536)), "spec.ingress[0].ports[0].endPort"),
                ingressCase("endPort with a named port", ports(new PolicyPort(Optional.of("TCP"),
                        Optional.of(new PolicyPort.PortRef.Named("serve-80-tcp")), Optional.of(81))),
                        "spec.ingress[0].ports[0].endPort"),
                ingressCase("endPort without port", ports(new PolicyPort(Optional.of("TCP"), Optional.empty(),
                        Optional.of(81))), "spec.ingress[0].ports[0].endPort"),
                ingressCase("protocol ICMP", ports(new PolicyPort(Optional.of("ICMP"), Optional.empty(),
                        Optional.empty())), "spec.ingress[0].ports[0].protocol"),
                ingressCase("protocol in lower case", ports(new PolicyPort(Optional.of("tcp"),
                        Optional.of(new PolicyPort.PortRef.Number(80)), Optional.empty())),
                        "spec.ingress[0].ports[0].protocol"),
                ingressCase("port name not a DNS label", ports(named("TCP", "Serve_80")),
                        "spec.ingress[0].ports[0].port"),
                Arguments.of("egress cidr invalid",
                        egress("x/bad", labels("pod=a"), peers(ipBlock("10.244.0.0/99"))),
                        "spec.egress[0].to[0].ipBlock.cidr", expect(TCP80).denyFrom("x/a")),
                Arguments.of("unknown policy type",
                        policy("x/bad", labels("pod=a"), List.of("Ingress", "Sideways"), List.of(), List.of()),
                        "spec.policyTypes[1]", expect(TCP80).denyTo("x/a").denyFrom("x/a")),
                Arguments.of("invalid subject selector",
                        policy("x/bad", expressions(requirement("pod", "In")), List.of("Ingress"),
                                List.of(Policies.allowAll()), List.of()),
                        "spec.podSelector.matchExpressions[0].values", expect(TCP80).denyTo("x/*")));
    }

    private static Arguments ingressCase(String name, PolicyRule rule, String field) {
        return Arguments.of(name, ingress("x/bad", labels("pod=a"), rule), field, expect(TCP80).denyTo("x/a"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPolicies")
    void anInvalidFieldIsNamedAndThePolicysPodsStayIsolated(String name, NetworkPolicy bad, String field,
                                                            Expect isolated) throws LabException {
        List<Diagnostic> diagnostics = lab.enforceAllowingDiagnostics(List.of(bad,
                ingress("x/b-from-y", labels("pod=b"), peers(namespaces(labels("ns=y"))))));

        assertThat(diagnostics).as(lab.state()).isNotEmpty().allSatisfy(d -> {
            assertThat(d.kind()).isEqualTo("NetworkPolicy");
            assertThat(d.object()).isEqualTo("x/bad");
        });
        assertThat(diagnostics).extracting(Diagnostic::field).as(lab.state()).contains(field);
        // x/b's valid policy is enforced: only y reaches it (unless the broken subject selector isolates all of x)
        lab.check(isolated.denyTo("x/b").allowTo("x/b", "y/*"));
    }
}
