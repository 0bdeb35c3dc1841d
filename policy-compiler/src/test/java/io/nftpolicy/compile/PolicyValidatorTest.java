package io.nftpolicy.compile;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyPort.PortRef;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.selector.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PolicyValidatorTest {
    private static final String NS = "dev";
    private static final String NAME = "db-access";
    private static final LabelSelector DB = LabelSelector.matchLabels(Map.of("app", "db"));

    // ---- building policies -------------------------------------------------------------------------------------

    private static NetworkPolicy policy(List<String> policyTypes, List<PolicyRule> ingress, List<PolicyRule> egress) {
        return new NetworkPolicy(NS, NAME, DB, policyTypes, ingress, egress);
    }

    private static NetworkPolicy ingressPolicy(PolicyRule... rules) {
        return policy(List.of("Ingress"), List.of(rules), List.of());
    }

    private static NetworkPolicy egressPolicy(PolicyRule... rules) {
        return policy(List.of("Egress"), List.of(), List.of(rules));
    }

    private static PolicyRule from(PolicyPeer... peers) {
        return new PolicyRule(List.of(peers), List.of());
    }

    private static PolicyRule ports(PolicyPort... ports) {
        return new PolicyRule(List.of(), List.of(ports));
    }

    private static PolicyPort port(String protocol, Integer port, Integer endPort) {
        return new PolicyPort(Optional.ofNullable(protocol),
                Optional.ofNullable(port).map(PortRef.Number::new), Optional.ofNullable(endPort));
    }

    private static LabelSelector expression(String key, String operator, String... values) {
        return new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement(key, operator, List.of(values))));
    }

    private static Selector compiled(LabelSelector selector) {
        List<Selector.Problem> problems = new ArrayList<>();
        Selector s = Selector.compile(selector, problems);
        assertThat(problems).isEmpty();
        return s;
    }

    private static IpRange range(String first, String last) {
        return new IpRange(IpAddress.parse(first), IpAddress.parse(last));
    }

    private static IpRange cidr(String text) {
        String[] parts = text.split("/");
        return IpRange.prefix(IpAddress.parse(parts[0]), Integer.parseInt(parts[1]));
    }

    // ---- running the validator ---------------------------------------------------------------------------------

    private final List<Diagnostic> diagnostics = new ArrayList<>();

    private ValidPolicy validate(NetworkPolicy policy) {
        return PolicyValidator.validate(policy, diagnostics);
    }

    private ValidPolicy valid(NetworkPolicy policy) {
        ValidPolicy result = validate(policy);
        assertThat(diagnostics).as("diagnostics").isEmpty();
        assertThat(result.valid()).isTrue();
        return result;
    }

    /** The only peer of the only rule of the policy's only direction. */
    private AllowedPeer onlyPeer(NetworkPolicy policy) {
        ValidPolicy result = valid(policy);
        PolicyType direction = result.directions().iterator().next();
        assertThat(result.rules(direction)).hasSize(1);
        assertThat(result.rules(direction).get(0).peers()).hasSize(1);
        return result.rules(direction).get(0).peers().get(0);
    }

    private List<IpRange> blockRanges(String cidr, String... except) {
        AllowedPeer peer = onlyPeer(ingressPolicy(from(PolicyPeer.ipBlock(cidr, except))));
        assertThat(peer).isInstanceOf(AllowedPeer.Block.class);
        return ((AllowedPeer.Block) peer).ranges();
    }

    private AllowedPort onlyPort(PolicyPort port) {
        ValidPolicy result = valid(ingressPolicy(ports(port)));
        assertThat(result.rules(PolicyType.INGRESS)).hasSize(1);
        assertThat(result.rules(PolicyType.INGRESS).get(0).ports()).hasSize(1);
        return result.rules(PolicyType.INGRESS).get(0).ports().get(0);
    }

    /**
     * The policy is rejected with exactly one diagnostic for {@code field} whose reason mentions
     * {@code reasonMentions}; it grants nothing and still isolates the directions it names.
     */
    private Diagnostic rejected(NetworkPolicy policy, String field, String reasonMentions) {
        ValidPolicy result = validate(policy);

        assertThat(diagnostics).hasSize(1);
        Diagnostic d = diagnostics.get(0);
        assertThat(d.kind()).isEqualTo("NetworkPolicy");
        assertThat(d.object()).isEqualTo("dev/db-access");
        assertThat(d.field()).isEqualTo(field);
        assertThat(d.reason()).contains(reasonMentions);
        assertThat(d.effect()).isNotBlank();
        assertThat(result.valid()).isFalse();
        assertThat(result.rules(PolicyType.INGRESS)).isEmpty();
        assertThat(result.rules(PolicyType.EGRESS)).isEmpty();
        assertThat(result.namespace()).isEqualTo(NS);
        assertThat(result.name()).isEqualTo(NAME);
        return d;
    }

    @Nested
    class PolicyTypes {
        @Test
        void absentPolicyTypesIsolateIngressOnly() {
            ValidPolicy result = valid(policy(List.of(), List.of(PolicyRule.allowAll()), List.of()));

            assertThat(result.directions()).containsExactly(PolicyType.INGRESS);
        }

        @Test
        void absentPolicyTypesWithoutAnyRulesIsolateIngress() {
            assertThat(valid(policy(List.of(), List.of(), List.of())).directions()).containsExactly(PolicyType.INGRESS);
        }

        @Test
        void absentPolicyTypesWithEgressRulesIsolateBothDirections() {
            ValidPolicy result = valid(policy(List.of(), List.of(PolicyRule.allowAll()), List.of(PolicyRule.allowAll())));

            assertThat(result.directions()).containsExactlyInAnyOrder(PolicyType.INGRESS, PolicyType.EGRESS);
        }

        @Test
        void absentPolicyTypesWithOnlyEgressRulesStillIsolateIngress() {
            ValidPolicy result = valid(policy(List.of(), List.of(), List.of(PolicyRule.allowAll())));

            assertThat(result.directions()).containsExactlyInAnyOrder(PolicyType.INGRESS, PolicyType.EGRESS);
            assertThat(result.rules(PolicyType.INGRESS)).isEmpty();
        }

        @Test
        void explicitEgressIsolatesOnlyEgress() {
            ValidPolicy result = valid(policy(List.of("Egress"), List.of(PolicyRule.allowAll()), List.of()));

            assertThat(result.directions()).containsExactly(PolicyType.EGRESS);
        }

        @Test
        void explicitIngressAndEgressIsolateBoth() {
            ValidPolicy result = valid(policy(List.of("Ingress", "Egress"), List.of(), List.of()));

            assertThat(result.directions()).containsExactlyInAnyOrder(PolicyType.INGRESS, PolicyType.EGRESS);
        }

        @Test
        void anUnknownPolicyTypeIsReportedAndBothDirectionsStayIsolated() {
            Diagnostic d = rejected(policy(List.of("Ingress", "Both"), List.of(), List.of()),
                    "spec.policyTypes[1]", "Both");

            assertThat(d.effect()).contains("ingress and egress");
            assertThat(validate(policy(List.of("Ingress", "Both"), List.of(), List.of())).directions())
                    .containsExactlyInAnyOrder(PolicyType.INGRESS, PolicyType.EGRESS);
        }

        @Test
        void policyTypesAreCaseSensitive() {
            ValidPolicy result = validate(policy(List.of("egress"), List.of(), List.of()));

            assertThat(diagnostics).extracting(Diagnostic::field).containsExactly("spec.policyTypes[0]");
            assertThat(result.directions()).containsExactlyInAnyOrder(PolicyType.INGRESS, PolicyType.EGRESS);
        }
    }

    @Nested
    class FailClosed {
        @Test
        void anInvalidPolicyKeepsIsolatingTheDirectionsItNames() {
            NetworkPolicy p = egressPolicy(from(PolicyPeer.ipBlock("bogus")));

            ValidPolicy result = validate(p);

            assertThat(result.valid()).isFalse();
            assertThat(result.directions()).containsExactly(PolicyType.EGRESS);
            assertThat(diagnostics).singleElement().satisfies(d -> assertThat(d.effect())
                    .isEqualTo("policy not enforced; the pods it selects stay isolated for egress (fail closed)"));
        }

        @Test
        void anInvalidPolicyKeepsItsPodSelector() {
            ValidPolicy result = validate(ingressPolicy(from(PolicyPeer.ipBlock("bogus"))));

            assertThat(result.podSelector()).isEqualTo(compiled(DB));
            assertThat(result.podSelector().matches(Map.of("app", "web"))).isFalse();
        }

        @Test
        void oneInvalidRuleDropsTheValidRulesToo() {
            ValidPolicy result = validate(ingressPolicy(PolicyRule.allowAll(), from(PolicyPeer.ipBlock("bogus"))));

            assertThat(result.valid()).isFalse();
            assertThat(result.rules(PolicyType.INGRESS)).isEmpty();
        }

        @Test
        void anInvalidPodSelectorSelectsEveryPodOfTheNamespace() {
            NetworkPolicy p = new NetworkPolicy(NS, NAME, expression("app", "Equals", "db"), List.of("Ingress"),
                    List.of(PolicyRule.allowAll()), List.of());

            Diagnostic d = rejected(p, "spec.podSelector.matchExpressions[0].operator", "Equals");

            assertThat(d.effect()).contains("every pod of namespace dev").contains("ingress");
            ValidPolicy result = validate(p);
            assertThat(result.podSelector().selectsAll()).isTrue();
            assertThat(result.directions()).containsExactly(PolicyType.INGRESS);
        }

        @Test
        void everyProblemIsReportedWithTheSameEffect() {
            validate(ingressPolicy(
                    from(PolicyPeer.ipBlock("10.0.0.0/33")),
                    ports(port("ICMP", null, null), port("TCP", 0, null))));

            assertThat(diagnostics).extracting(Diagnostic::field).containsExactly(
                    "spec.ingress[0].from[0].ipBlock.cidr",
                    "spec.ingress[1].ports[0].protocol",
                    "spec.ingress[1].ports[1].port");
            assertThat(diagnostics).extracting(Diagnostic::effect).containsOnly(diagnostics.get(0).effect());
        }

        @Test
        void aDiagnosticFormatsAsOneLineNamingObjectFieldAndEffect() {
            validate(ingressPolicy(from(PolicyPeer.ipBlock("10.0.0.0/33"))));

            assertThat(diagnostics.get(0).format())
                    .startsWith("NetworkPolicy dev/db-access: spec.ingress[0].from[0].ipBlock.cidr: ")
                    .contains("10.0.0.0/33")
                    .endsWith("(policy not enforced; the pods it selects stay isolated for ingress (fail closed))")
                    .doesNotContain("\n");
        }
    }

    @Nested
    class InvalidIpBlocks {
        @Test
        void aMalformedCidrIsReportedAtTheCidr() {
            rejected(ingressPolicy(from(PolicyPeer.ipBlock("10.0.0.0/33"))),
                    "spec.ingress[0].from[0].ipBlock.cidr", "10.0.0.0/33");
        }

        @Test
        void aCidrWithoutLengthIsReported() {
            rejected(egressPolicy(PolicyRule.allowAll(), from(PolicyPeer.ipBlock("10.0.0.1"))),
                    "spec.egress[1].to[0].ipBlock.cidr", "10.0.0.1");
        }

        @Test
        void anExceptOutsideTheCidrIsReportedAtTheExcept() {
            rejected(ingressPolicy(from(PolicyPeer.ipBlock("10.0.0.0/16", "10.0.1.0/24", "10.1.0.0/24"))),
                    "spec.ingress[0].from[0].ipBlock.except[1]", "10.1.0.0/24");
        }

        @Test
        void anExceptLargerThanTheCidrIsReported() {
            rejected(ingressPolicy(from(PolicyPeer.ipBlock("10.0.0.0/16", "10.0.0.0/8"))),
                    "spec.ingress[0].from[0].ipBlock.except[0]", "10.0.0.0/8");
        }

        @Test
        void anExceptEqualToTheCidrIsReported() {
            rejected(ingressPolicy(from(PolicyPeer.ipBlock("10.0.0.0/16", "10.0.0.0/16"))),
                    "spec.ingress[0].from[0].ipBlock.except[0]", "10.0.0.0/16");
        }

        @Test
        void anExceptOfTheOtherFamilyIsReported() {
            rejected(ingressPolicy(from(PolicyPeer.ipBlock("10.0.0.0/8", "2001:db8::/64"))),
                    "spec.ingress[0].from[0].ipBlock.except[0]", "2001:db8::/64");
        }

        @Test
        void aMalformedExceptIsReported() {
            rejected(ingressPolicy(from(PolicyPeer.ipBlock("10.0.0.0/8", "10.0.0.0/40"))),
                    "spec.ingress[0].from[0].ipBlock.except[0]", "10.0.0.0/40");
        }

        @Test
        void anIpBlockWithAPodSelectorIsReportedAtThePeer() {
            PolicyPeer mixed = new PolicyPeer(Optional.of(DB), Optional.empty(),
                    Optional.of(new io.nftpolicy.policy.IpBlock("10.0.0.0/8", List.of())));

            rejected(ingressPolicy(from(PolicyPeer.pods(DB), mixed)), "spec.ingress[0].from[1]", "ipBlock");
        }

        @Test
        void anIpBlockWithANamespaceSelectorIsReportedAtThePeer() {
            PolicyPeer mixed = new PolicyPeer(Optional.empty(), Optional.of(LabelSelector.all()),
                    Optional.of(new io.nftpolicy.policy.IpBlock("10.0.0.0/8", List.of())));

            rejected(egressPolicy(from(mixed)), "spec.egress[0].to[0]", "ipBlock");
        }
    }

    @Nested
    class InvalidPeers {
        @Test
        void anEmptyPeerIsReported() {
            PolicyPeer empty = new PolicyPeer(Optional.empty(), Optional.empty(), Optional.empty());

            rejected(egressPolicy(from(empty)), "spec.egress[0].to[0]", "podSelector");
        }

        @Test
        void aMalformedOperatorInAPeersNamespaceSelectorIsReportedAtItsField() {
            PolicyPeer peer = PolicyPeer.namespaces(expression("team", "Equal", "a"));

            rejected(ingressPolicy(from(PolicyPeer.pods(DB), peer)),
                    "spec.ingress[0].from[1].namespaceSelector.matchExpressions[0].operator", "Equal");
        }

        @Test
        void aMalformedPodSelectorOfAPeerIsReportedAtItsField() {
            PolicyPeer peer = PolicyPeer.podsInNamespaces(expression("app", "In"), LabelSelector.all());

            rejected(egressPolicy(from(peer)), "spec.egress[0].to[0].podSelector.matchExpressions[0].values", "In");
        }
    }

    @Nested
    class InvalidPorts {
        @Test
        void endPortWithoutPortIsReported() {
            rejected(ingressPolicy(ports(port("TCP", null, 90))), "spec.ingress[0].ports[0].endPort", "port");
        }

        @Test
        void endPortBelowPortIsReported() {
            rejected(ingressPolicy(ports(port("TCP", 90, 80))), "spec.ingress[0].ports[0].endPort", "80");
        }

        @Test
        void endPortAbove65535IsReported() {
            rejected(ingressPolicy(ports(port("TCP", 80, 65536))), "spec.ingress[0].ports[0].endPort", "65536");
        }

        @Test
        void endPortWithANamedPortIsReported() {
            PolicyPort named = new PolicyPort(Optional.of("TCP"), Optional.of(new PortRef.Named("http")), Optional.of(90));

            rejected(ingressPolicy(ports(named)), "spec.ingress[0].ports[0].endPort", "http");
        }

        @Test
        void anUnknownProtocolIsReported() {
            rejected(ingressPolicy(ports(port("ICMP", null, null))), "spec.ingress[0].ports[0].protocol", "ICMP");
        }

        @Test
        void aLowerCaseProtocolIsInvalidBecauseKubernetesIsCaseSensitive() {
            rejected(egressPolicy(ports(PolicyPort.tcp(80), port("tcp", 443, null))),
                    "spec.egress[0].ports[1].protocol", "tcp");
        }

        @Test
        void portZeroIsReported() {
            rejected(ingressPolicy(ports(port("TCP", 0, null))), "spec.ingress[0].ports[0].port", "0");
        }

        @Test
        void aPortAbove65535IsReported() {
            rejected(ingressPolicy(ports(port("UDP", 70000, null))), "spec.ingress[0].ports[0].port", "70000");
        }

        @Test
        void anUpperCasePortNameIsReported() {
            rejected(ingressPolicy(ports(PolicyPort.named("TCP", "HTTP"))), "spec.ingress[0].ports[0].port", "HTTP");
        }

        @Test
        void aPortNameLongerThan15CharactersIsReported() {
            rejected(ingressPolicy(ports(PolicyPort.named("TCP", "abcdefghijklmnop"))),
                    "spec.ingress[0].ports[0].port", "abcdefghijklmnop");
        }

        @Test
        void aPortNameWithoutALetterIsReported() {
            rejected(ingressPolicy(ports(PolicyPort.named("TCP", "8080"))), "spec.ingress[0].ports[0].port", "8080");
        }

        /** IANA_SVC_NAME, as the API server checks it (IsValidPortName): no "--" anywhere in the name. */
        @Test
        void aPortNameWithConsecutiveHyphensIsReported() {
            rejected(ingressPolicy(ports(PolicyPort.named("TCP", "web--api"))), "spec.ingress[0].ports[0].port",
                    "web--api");
        }
    }

    @Nested
    class ValidRules {
        @Test
        void anEmptyRuleAllowsEveryPeerOnEveryPort() {
            ValidPolicy result = valid(ingressPolicy(PolicyRule.allowAll()));

            assertThat(result.rules(PolicyType.INGRESS)).containsExactly(new AllowRule(0, List.of(), List.of()));
        }

        @Test
        void rulesKeepTheirIndexForProvenance() {
            ValidPolicy result = valid(egressPolicy(PolicyRule.allowAll(), ports(PolicyPort.tcp(53))));

            assertThat(result.rules(PolicyType.EGRESS)).extracting(AllowRule::index).containsExactly(0, 1);
        }

        @Test
        void aPortEntryWithoutPortOrProtocolMeansEveryTcpPort() {
            assertThat(onlyPort(port(null, null, null))).isEqualTo(new AllowedPort.Range(Protocol.TCP, 0, 65535));
        }

        @Test
        void aPortEntryWithOnlyAProtocolMeansEveryPortOfThatProtocol() {
            assertThat(onlyPort(port("UDP", null, null))).isEqualTo(new AllowedPort.Range(Protocol.UDP, 0, 65535));
        }

        @Test
        void aNumericPortWithoutProtocolIsTcp() {
            assertThat(onlyPort(port(null, 5432, null))).isEqualTo(new AllowedPort.Range(Protocol.TCP, 5432, 5432));
        }

        @Test
        void anSctpPortStaysSctp() {
            assertThat(onlyPort(port("SCTP", 5000, null))).isEqualTo(new AllowedPort.Range(Protocol.SCTP, 5000, 5000));
        }

        @Test
        void endPortMakesAnInclusiveRange() {
            assertThat(onlyPort(port("TCP", 80, 90))).isEqualTo(new AllowedPort.Range(Protocol.TCP, 80, 90));
        }

        @Test
        void endPortEqualToPortIsOnePort() {
            assertThat(onlyPort(port("TCP", 80, 80))).isEqualTo(new AllowedPort.Range(Protocol.TCP, 80, 80));
        }

        @Test
        void theExtremePortNumbersAreAllowed() {
            assertThat(onlyPort(port("TCP", 1, 65535))).isEqualTo(new AllowedPort.Range(Protocol.TCP, 1, 65535));
            diagnostics.clear();
            assertThat(onlyPort(port("UDP", 65535, null))).isEqualTo(new AllowedPort.Range(Protocol.UDP, 65535, 65535));
        }

        @Test
        void aNamedPortKeepsItsNameAndProtocol() {
            assertThat(onlyPort(PolicyPort.named("UDP", "dns"))).isEqualTo(new AllowedPort.Named(Protocol.UDP, "dns"));
        }

        @Test
        void aNamedPortWithoutProtocolIsTcp() {
            assertThat(onlyPort(PolicyPort.named(null, "serve-80-tcp")))
                    .isEqualTo(new AllowedPort.Named(Protocol.TCP, "serve-80-tcp"));
        }

        @Test
        void aPodSelectorPeerMeansPodsOfThePolicysNamespace() {
            LabelSelector web = LabelSelector.matchLabels(Map.of("app", "web"));

            assertThat(onlyPeer(ingressPolicy(from(PolicyPeer.pods(web)))))
                    .isEqualTo(new AllowedPeer.Pods(NS, Optional.of(compiled(web)), Optional.empty()));
        }

        @Test
        void aNamespaceSelectorPeerMeansEveryPodOfTheMatchingNamespaces() {
            assertThat(onlyPeer(egressPolicy(from(PolicyPeer.namespaces(LabelSelector.all())))))
                    .isEqualTo(new AllowedPeer.Pods(NS, Optional.empty(), Optional.of(Selector.all())));
        }

        @Test
        void bothSelectorsInOnePeerAreKeptTogether() {
            LabelSelector web = LabelSelector.matchLabels(Map.of("app", "web"));
            LabelSelector prod = expression("env", "In", "prod");

            assertThat(onlyPeer(ingressPolicy(from(PolicyPeer.podsInNamespaces(web, prod)))))
                    .isEqualTo(new AllowedPeer.Pods(NS, Optional.of(compiled(web)), Optional.of(compiled(prod))));
        }
    }

    @Nested
    class IpBlockRanges {
        @Test
        void anIpBlockWithoutExceptIsItsCidr() {
            assertThat(blockRanges("10.0.0.0/8")).containsExactly(cidr("10.0.0.0/8"));
        }

        @Test
        void hostBitsOfTheCidrAreMasked() {
            assertThat(blockRanges("10.1.2.3/8")).containsExactly(cidr("10.0.0.0/8"));
        }

        @Test
        void exceptCarvesItsRangeOutOfTheCidr() {
            List<IpRange> ranges = blockRanges("172.17.0.0/16", "172.17.1.0/24");

            assertThat(ranges).containsExactly(
                    range("172.17.0.0", "172.17.0.255"),
                    range("172.17.2.0", "172.17.255.255"));
            assertThat(ranges).extracting(IpRange::toNft)
                    .containsExactly("172.17.0.0/24", "172.17.2.0-172.17.255.255");
        }

        @Test
        void anExceptAtTheStartLeavesOnlyTheTail() {
            assertThat(blockRanges("10.0.0.0/8", "10.0.0.0/16"))
                    .containsExactly(range("10.1.0.0", "10.255.255.255"));
        }

        @Test
        void anExceptAtTheEndLeavesOnlyTheHead() {
            assertThat(blockRanges("10.0.0.0/8", "10.255.0.0/16"))
                    .containsExactly(range("10.0.0.0", "10.254.255.255"));
        }

        @Test
        void severalExceptsInAnyOrderLeaveTheGapsBetweenThem() {
            assertThat(blockRanges("10.0.0.0/24", "10.0.0.192/26", "10.0.0.0/26", "10.0.0.100/32"))
                    .containsExactly(range("10.0.0.64", "10.0.0.99"), range("10.0.0.101", "10.0.0.191"));
        }

        @Test
        void overlappingExceptsAreCarvedOnce() {
            assertThat(blockRanges("10.0.0.0/16", "10.0.1.0/24", "10.0.0.0/23"))
                    .containsExactly(range("10.0.2.0", "10.0.255.255"));
        }

        @Test
        void anExceptNestedInAnotherChangesNothing() {
            assertThat(blockRanges("10.0.0.0/16", "10.0.4.0/22", "10.0.5.0/24"))
                    .containsExactly(range("10.0.0.0", "10.0.3.255"), range("10.0.8.0", "10.0.255.255"));
        }

        @Test
        void adjacentExceptsLeaveNoSliverBetweenThem() {
            assertThat(blockRanges("10.0.0.0/24", "10.0.0.64/26", "10.0.0.128/26"))
                    .containsExactly(range("10.0.0.0", "10.0.0.63"), range("10.0.0.192", "10.0.0.255"));
        }

        @Test
        void exceptsThatTogetherCoverTheCidrLeaveNoAddress() {
            assertThat(blockRanges("10.0.0.0/24", "10.0.0.0/25", "10.0.0.128/25")).isEmpty();
        }

        @Test
        void exceptingTheLastIpv4AddressFromTheWholeSpace() {
            assertThat(blockRanges("0.0.0.0/0", "255.255.255.255/32"))
                    .containsExactly(range("0.0.0.0", "255.255.255.254"));
        }

        @Test
        void anIpv6ExceptCarvesItsRangeOutOfTheCidr() {
            List<IpRange> ranges = blockRanges("2001:db8::/32", "2001:db8:1::/48");

            assertThat(ranges).containsExactly(
                    range("2001:db8::", "2001:db8:0:ffff:ffff:ffff:ffff:ffff"),
                    range("2001:db8:2::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
            assertThat(ranges).extracting(IpRange::toNft)
                    .containsExactly("2001:db8::/48", "2001:db8:2::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
        }

        @Test
        void ipv6ExceptsAtBothEndsOfTheWholeSpace() {
            assertThat(blockRanges("::/0", "::/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"))
                    .containsExactly(range("::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"));
        }

        @Test
        void severalOverlappingIpv6Excepts() {
            assertThat(blockRanges("fd00::/64", "fd00::8000:0:0:0/65", "fd00::c000:0:0:0/66", "fd00::10/124"))
                    .containsExactly(range("fd00::", "fd00::f"), range("fd00::20", "fd00::7fff:ffff:ffff:ffff"));
        }
    }
}
