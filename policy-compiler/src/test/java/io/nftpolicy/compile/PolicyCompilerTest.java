package io.nftpolicy.compile;

import static io.nftpolicy.cluster.Protocol.SCTP;
import static io.nftpolicy.cluster.Protocol.TCP;
import static io.nftpolicy.cluster.Protocol.UDP;
import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.map;
import static io.nftpolicy.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.testing.Clusters;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What a node's compiled ruleset allows, read through {@link FakeKernel}, and how it is laid out. The kernel tests
 * in nft-backend prove the same semantics on the real kernel.
 */
class PolicyCompilerTest {
    private final PolicyCompiler compiler = new PolicyCompiler();

    private static final String DB = "10.244.1.5";
    private static final String FE = "10.244.1.6";
    private static final String FE2 = "10.244.2.6";
    private static final String DB2 = "10.244.2.5";

    private static final PolicyRule FROM_FRONTEND_TCP_80 =
            new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of(PolicyPort.tcp(80)));

    private static Clusters twoNodes() {
        return cluster().namespace("dev")
                .pod("dev/db", "n1", DB, "role=db")
                .pod("dev/fe", "n1", FE, "role=frontend")
                .pod("dev/fe2", "n2", FE2, "role=frontend")
                .pod("dev/db2", "n2", DB2, "role=db");
    }

    @Test
    void podsThatNoPolicySelectsAreNotDispatched() {
        Ruleset rs = compile(twoNodes().snapshot(), "n1");
        assertThat(rs.maps()).allSatisfy(m -> assertThat(m.elements()).isEmpty());
        assertThat(kernel(rs).forwards(FE2, DB, TCP, 1234)).isTrue();
    }

    @Test
    void onlyThisNodesSelectedPodsAreDispatched() {
        Ruleset rs = compile(twoNodes().policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        assertThat(verdictMap(rs, "ingress-v4").elements()).extracting(MapElement::comment).containsExactly("dev/db");
        assertThat(verdictMap(rs, "egress-v4").elements()).isEmpty();
    }

    @Test
    void selectorPeersOnEveryNodeAreAllowedAndOthersAreNot() {
        FakeKernel k = kernel(compile(twoNodes().policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1"));
        assertThat(k.forwards(FE, DB, TCP, 80)).isTrue();
        assertThat(k.forwards(FE2, DB, TCP, 80)).isTrue();
        assertThat(k.forwards(DB2, DB, TCP, 80)).isFalse();
        assertThat(k.forwards(FE, DB, TCP, 81)).isFalse();
        assertThat(k.forwards(FE, DB, UDP, 80)).isFalse();
    }

    @Test
    void policyTypesAbsentWithEgressRulesIsolatesBothDirections() {
        NetworkPolicy noTypes = policy("dev/p", labels("role=db"), List.of(),
                List.of(), List.of(new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of())));
        FakeKernel k = kernel(compile(twoNodes().policy(noTypes).snapshot(), "n1"));
        assertThat(k.forwards(FE, DB, TCP, 80)).isFalse();
        assertThat(k.forwards(DB, FE, TCP, 80)).isTrue();
        assertThat(k.forwards(DB, DB2, TCP, 80)).isFalse();
    }

    @Test
    void policyTypesAbsentWithoutEgressRulesIsolatesIngressOnly() {
        NetworkPolicy noTypes = policy("dev/p", labels("role=db"), List.of(), List.of(), List.of());
        FakeKernel k = kernel(compile(twoNodes().policy(noTypes).snapshot(), "n1"));
        assertThat(k.forwards(FE, DB, TCP, 80)).isFalse();
        assertThat(k.forwards(DB, DB2, TCP, 80)).isTrue();
    }

    @Test
    void emptyRuleListIsolatesWithoutAllowingAnything() {
        Ruleset rs = compile(twoNodes().policy(ingress("dev/deny", LabelSelector.all())).snapshot(), "n1");
        assertThat(chainOf(rs, DB, "ingress-v4").rules()).extracting(Rule::statement).containsExactly(EstablishedFlows.RESET, EstablishedFlows.DROP);
    }

    @Test
    void ruleWithoutPeersOrPortsAllowsEverything() {
        FakeKernel k = kernel(compile(twoNodes().policy(ingress("dev/all", LabelSelector.all(), PolicyRule.allowAll())).snapshot(), "n1"));
        assertThat(k.forwards("192.0.2.1", DB, UDP, 9)).isTrue();
        assertThat(k.forwards(FE2, DB, SCTP, 7)).isTrue();
    }

    @Test
    void aRuleWithoutPeersButWithPortsAllowsEveryAddressOnThosePortsOnly() {
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.of("UDP", 53)));
        FakeKernel k = kernel(compile(twoNodes().policy(ingress("dev/dns", LabelSelector.all(), rule)).snapshot(), "n1"));
        assertThat(k.forwards("192.0.2.1", DB, UDP, 53)).isTrue();
        assertThat(k.forwards("192.0.2.1", DB, TCP, 53)).isFalse();
    }

    @Test
    void portEntryWithoutPortOrProtocolMeansEveryTcpPortOnly() {
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))),
                List.of(new PolicyPort(Optional.empty(), Optional.empty(), Optional.empty())));
        FakeKernel k = kernel(compile(twoNodes().policy(ingress("dev/p", labels("role=db"), rule)).snapshot(), "n1"));
        assertThat(k.forwards(FE, DB, TCP, 1)).isTrue();
        assertThat(k.forwards(FE, DB, TCP, 65535)).isTrue();
        assertThat(k.forwards(FE, DB, UDP, 80)).isFalse();
    }

    @Test
    void sctpOnlyPolicyNeverOpensTcpOrUdp() {
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.of("SCTP", 80)));
        FakeKernel k = kernel(compile(twoNodes().policy(ingress("dev/sctp", labels("role=db"), rule)).snapshot(), "n1"));
        assertThat(k.forwards(FE, DB, SCTP, 80)).isTrue();
        assertThat(k.forwards(FE, DB, TCP, 80)).isFalse();
        assertThat(k.forwards(FE, DB, UDP, 80)).isFalse();
    }

    @Test
    void endPortIsAnInclusiveRange() {
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.range("TCP", 8000, 8080)));
        FakeKernel k = kernel(compile(twoNodes().policy(ingress("dev/r", labels("role=db"), rule)).snapshot(), "n1"));
        assertThat(k.forwards(FE, DB, TCP, 7999)).isFalse();
        assertThat(k.forwards(FE, DB, TCP, 8000)).isTrue();
        assertThat(k.forwards(FE, DB, TCP, 8080)).isTrue();
        assertThat(k.forwards(FE, DB, TCP, 8081)).isFalse();
    }

    @Test
    void ipBlockExceptIsCarvedOut() {
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.ipBlock("172.17.0.0/16", "172.17.1.0/24")), List.of());
        Ruleset rs = compile(twoNodes().policy(ingress("dev/b", labels("role=db"), rule)).snapshot(), "n1");
        FakeKernel k = kernel(rs);
        assertThat(k.forwards("172.17.0.9", DB, TCP, 80)).isTrue();
        assertThat(k.forwards("172.17.1.9", DB, TCP, 80)).isFalse();
        assertThat(k.forwards("172.17.2.0", DB, TCP, 80)).isTrue();
        assertThat(k.forwards("172.18.0.1", DB, TCP, 80)).isFalse();
        assertThat(setsUsedBy(rs, chainOf(rs, DB, "ingress-v4"))).singleElement().extracting(PolicyCompilerTest::keys)
                .isEqualTo(List.of("172.17.0.0/24", "172.17.2.0-172.17.255.255"));
    }

    @Test
    void exceptOfOnePeerDoesNotRemoveWhatAnotherPeerAllows() {
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.ipBlock("10.244.0.0/16", "10.244.2.0/24"),
                PolicyPeer.pods(labels("role=frontend"))), List.of());
        FakeKernel k = kernel(compile(twoNodes().policy(ingress("dev/b", labels("role=db"), rule)).snapshot(), "n1"));
        assertThat(k.forwards(FE2, DB, TCP, 80)).isTrue();
        assertThat(k.forwards(DB2, DB, TCP, 80)).isFalse();
    }

    @Test
    void ingressNamedPortResolvesOnTheSelectedPod() {
        Clusters c = cluster().namespace("dev")
                .pod(pod("dev/a").on("n1").ips("10.244.1.2").labels("app=web").port("http", 8080, TCP))
                .pod(pod("dev/b").on("n1").ips("10.244.1.3").labels("app=web").port("http", 9090, TCP));
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.named("TCP", "http")));
        FakeKernel k = kernel(compile(c.policy(ingress("dev/web", labels("app=web"), rule)).snapshot(), "n1"));
        assertThat(k.forwards(FE, "10.244.1.2", TCP, 8080)).isTrue();
        assertThat(k.forwards(FE, "10.244.1.2", TCP, 9090)).isFalse();
        assertThat(k.forwards(FE, "10.244.1.3", TCP, 9090)).isTrue();
        assertThat(k.forwards(FE, "10.244.1.3", TCP, 8080)).isFalse();
    }

    @Test
    void namedPortMustMatchProtocolToo() {
        Clusters c = cluster().namespace("dev")
                .pod(pod("dev/a").on("n1").ips("10.244.1.2").labels("app=web").port("dns", 53, UDP));
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.named("TCP", "dns")));
        FakeKernel k = kernel(compile(c.policy(ingress("dev/web", labels("app=web"), rule)).snapshot(), "n1"));
        assertThat(k.forwards(FE, "10.244.1.2", TCP, 53)).isFalse();
        assertThat(k.forwards(FE, "10.244.1.2", UDP, 53)).isFalse();
    }

    @Test
    void egressNamedPortResolvesOnEachDestinationPod() {
        Clusters c = cluster().namespace("dev")
                .pod(pod("dev/client").on("n1").ips("10.244.1.2").labels("app=client"))
                .pod(pod("dev/s1").on("n1").ips("10.244.1.3").labels("app=server").port("http", 8080, TCP))
                .pod(pod("dev/s2").on("n2").ips("10.244.2.3").labels("app=server").port("http", 80, TCP));
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.pods(labels("app=server"))), List.of(PolicyPort.named("TCP", "http")));
        FakeKernel k = kernel(compile(c.policy(egress("dev/out", labels("app=client"), rule)).snapshot(), "n1"));
        assertThat(k.forwards("10.244.1.2", "10.244.1.3", TCP, 8080)).isTrue();
        assertThat(k.forwards("10.244.1.2", "10.244.1.3", TCP, 80)).isFalse();
        assertThat(k.forwards("10.244.1.2", "10.244.2.3", TCP, 80)).isTrue();
        assertThat(k.forwards("10.244.1.2", "10.244.2.3", TCP, 8080)).isFalse();
    }

    @Test
    void egressNamedPortWithoutPeersCoversEveryPodWithThatName() {
        Clusters c = cluster().namespace("dev").namespace("ops")
                .pod(pod("dev/client").on("n1").ips("10.244.1.2").labels("app=client"))
                .pod(pod("ops/s").on("n2").ips("10.244.2.3").port("http", 8443, TCP));
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.named("TCP", "http")));
        FakeKernel k = kernel(compile(c.policy(egress("dev/out", labels("app=client"), rule)).snapshot(), "n1"));
        assertThat(k.forwards("10.244.1.2", "10.244.2.3", TCP, 8443)).isTrue();
        assertThat(k.forwards("10.244.1.2", "192.0.2.1", TCP, 8443)).isFalse();
    }

    /**
     * s1 maps "http" to 8080, s2 to 80; s3 has "http" too but sits in the except; 10.9.9.9 is in the block and is
     * no pod's. dual is a pod with an IPv6 address the (IPv4) block does not cover.
     */
    private static Clusters namedPortsBehindAnIpBlock() {
        return cluster().namespace("dev")
                .pod(pod("dev/client").on("n1").ips("10.244.1.2", "fd00::2").labels("app=client"))
                .pod(pod("dev/s1").on("n1").ips("10.244.1.3").port("http", 8080, TCP))
                .pod(pod("dev/s2").on("n2").ips("10.244.2.3").port("http", 80, TCP))
                .pod(pod("dev/s3").on("n2").ips("10.244.2.4").port("http", 80, TCP))
                .pod(pod("dev/dual").on("n2").ips("10.244.2.5", "fd00::5").port("http", 80, TCP));
    }

    private static final PolicyRule HTTP_BY_NAME_TO_AN_IP_BLOCK = new PolicyRule(
            List.of(PolicyPeer.ipBlock("10.0.0.0/8", "10.244.2.4/32")), List.of(PolicyPort.named("TCP", "http")));

    @Test
    void egressNamedPortToAnIpBlockResolvesOnTheDestinationPodTheBlockCovers() {
        Ruleset rs = compile(namedPortsBehindAnIpBlock().policy(egress("dev/out", labels("app=client"),
                HTTP_BY_NAME_TO_AN_IP_BLOCK)).snapshot(), "n1");
        assertEgressNamedPortToAnIpBlock(kernel(rs));
    }

    @Test
    void egressNamedPortToAnIpBlockResolvesOnTheDestinationPodWithMergedSetsToo() {
        Clusters c = namedPortsBehindAnIpBlock().policy(egress("dev/out", labels("app=client"), HTTP_BY_NAME_TO_AN_IP_BLOCK));
        for (int i = 0; i < 20; i++) {
            c.policy(egress("dev/filler" + i, labels("app=client"),
                    new PolicyRule(List.of(PolicyPeer.ipBlock("192.0.2." + i + "/32")), List.of(PolicyPort.tcp(9)))));
        }
        Ruleset rs = compile(c.snapshot(), "n1");
        assertThat(chainOf(rs, "10.244.1.2", "egress-v4").rules()).hasSizeLessThanOrEqualTo(GroupRules.MAX_RULES + 1);
        assertEgressNamedPortToAnIpBlock(kernel(rs));
    }

    private static void assertEgressNamedPortToAnIpBlock(FakeKernel k) {
        assertThat(k.forwards("10.244.1.2", "10.244.1.3", TCP, 8080)).isTrue();
        assertThat(k.forwards("10.244.1.2", "10.244.1.3", TCP, 80)).isFalse();
        assertThat(k.forwards("10.244.1.2", "10.244.2.3", TCP, 80)).isTrue();
        assertThat(k.forwards("10.244.1.2", "10.244.2.3", TCP, 8080)).isFalse();
        assertThat(k.forwards("10.244.1.2", "10.244.2.3", UDP, 80)).isFalse();
        assertThat(k.forwards("10.244.1.2", "10.244.2.4", TCP, 80)).as("in the except").isFalse();
        assertThat(k.forwards("10.244.1.2", "10.9.9.9", TCP, 80)).as("no pod's: no names").isFalse();
        assertThat(k.forwards("10.244.1.2", "10.244.2.5", TCP, 80)).isTrue();
        assertThat(k.forwards("fd00::2", "fd00::5", TCP, 80)).as("outside the block").isFalse();
    }

    @Test
    void ingressNamedPortFromAnIpBlockStillResolvesOnTheSelectedPod() {
        Ruleset rs = compile(namedPortsBehindAnIpBlock().policy(ingress("dev/in", LabelSelector.all(),
                HTTP_BY_NAME_TO_AN_IP_BLOCK)).snapshot(), "n1");
        FakeKernel k = kernel(rs);
        assertThat(k.forwards("10.9.9.9", "10.244.1.3", TCP, 8080)).isTrue();
        assertThat(k.forwards("10.244.2.4", "10.244.1.3", TCP, 8080)).isFalse();
    }

    @Test
    void hostNetworkAndFinishedPodsAreNeitherSubjectsNorPeers() {
        Clusters c = twoNodes()
                .pod(pod("dev/host").on("n1").hostNetwork().ips("192.168.0.1").labels("role=frontend"))
                .pod(pod("dev/done").on("n1").phase(PodPhase.SUCCEEDED).ips("10.244.1.9").labels("role=frontend"))
                .pod(pod("dev/failed-db").on("n1").phase(PodPhase.FAILED).ips("10.244.1.10").labels("role=db"));
        Ruleset rs = compile(c.policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        FakeKernel k = kernel(rs);
        assertThat(k.forwards("192.168.0.1", DB, TCP, 80)).isFalse();
        assertThat(k.forwards("10.244.1.9", DB, TCP, 80)).isFalse();
        assertThat(k.forwards(FE, DB, TCP, 80)).isTrue();
        assertThat(verdictMap(rs, "ingress-v4").elements()).extracting(MapElement::comment).containsExactly("dev/db");
    }

    @Test
    void aTerminatingPodStaysAPeerUntilItIsGoneOrFinished() {
        Clusters c = twoNodes()
                .pod(pod("dev/going").on("n2").terminating().ips("10.244.2.9").labels("role=frontend"));
        FakeKernel k = kernel(compile(c.policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1"));
        assertThat(k.forwards("10.244.2.9", DB, TCP, 80)).isTrue();
        assertThat(k.forwards("10.244.2.9", DB, TCP, 81)).isFalse();
    }

    @Test
    void aTerminatingPodStaysIsolatedAsASubject() {
        Clusters c = twoNodes()
                .pod(pod("dev/going-db").on("n1").terminating().ips("10.244.1.9").labels("role=db"));
        Ruleset rs = compile(c.policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        FakeKernel k = kernel(rs);
        assertThat(k.forwards(DB2, "10.244.1.9", TCP, 80)).isFalse();
        assertThat(k.forwards(FE, "10.244.1.9", TCP, 80)).isTrue();
        assertThat(verdictMap(rs, "ingress-v4").elements()).extracting(MapElement::comment).contains("dev/going-db");
    }

    @Test
    void dualStackPodsAreIsolatedAndAllowedInBothFamilies() {
        Clusters c = cluster().namespace("dev")
                .pod(pod("dev/db").on("n1").ips(DB, "fd00:10:244:1::5").labels("role=db"))
                .pod(pod("dev/fe").on("n2").ips(FE2, "fd00:10:244:2::6").labels("role=frontend"))
                .pod(pod("dev/other").on("n2").ips(DB2, "fd00:10:244:2::7").labels("role=other"));
        FakeKernel k = kernel(compile(c.policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1"));
        assertThat(k.forwards("fd00:10:244:2::6", "fd00:10:244:1::5", TCP, 80)).isTrue();
        assertThat(k.forwards("fd00:10:244:2::7", "fd00:10:244:1::5", TCP, 80)).isFalse();
        assertThat(k.forwards(FE2, DB, TCP, 80)).isTrue();
        assertThat(k.forwards(DB2, DB, TCP, 80)).isFalse();
    }

    @Test
    void eachAllowRuleNamesThePolicyRuleAndPeerItCameFrom() {
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.ipBlock("172.17.0.0/16"), PolicyPeer.pods(labels("role=frontend"))),
                List.of(PolicyPort.tcp(80)));
        Ruleset rs = compile(twoNodes().policy(ingress("dev/db-access", labels("role=db"), rule)).snapshot(), "n1");
        assertThat(chainOf(rs, DB, "ingress-v4").rules()).extracting(Rule::comment)
                .contains("dev/db-access ingress[0].from[0]", "dev/db-access ingress[0].from[1]");
    }

    @Test
    void peersNamedByManyPoliciesShareOneSet() {
        Clusters c = twoNodes();
        c.policy(ingress("dev/a", labels("role=db"), FROM_FRONTEND_TCP_80));
        c.policy(egress("dev/b", labels("role=frontend"), new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of())));
        Ruleset rs = compile(c.snapshot(), "n1");
        assertThat(rs.sets()).filteredOn(s -> s.name().startsWith("peer-")).singleElement()
                .satisfies(s -> assertThat(s.comment()).isEqualTo("pods role=frontend in namespace dev"))
                .extracting(PolicyCompilerTest::keys).isEqualTo(List.of(FE, FE2));
    }

    @Test
    void aPodSelectedByManyPoliciesStillCostsABoundedNumberOfRules() {
        Clusters c = twoNodes();
        for (int i = 0; i < 30; i++) {
            PolicyRule rule = new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend")), PolicyPeer.ipBlock("172.16." + i + ".0/24")),
                    List.of(PolicyPort.tcp(1000 + i)));
            c.policy(ingress("dev/p" + i, labels("role=db"), rule));
        }
        Ruleset rs = compile(c.snapshot(), "n1");
        assertThat(chainOf(rs, DB, "ingress-v4").rules()).hasSizeLessThanOrEqualTo(GroupRules.MAX_RULES + 1);
        FakeKernel k = kernel(rs);
        assertThat(k.forwards(FE2, DB, TCP, 1029)).isTrue();
        assertThat(k.forwards("172.16.7.1", DB, TCP, 1007)).isTrue();
        assertThat(k.forwards("172.16.7.1", DB, TCP, 1008)).isFalse();
    }

    @Test
    void policiesThatNameTheSamePeerShareOneRuleThatNamesEachOfThem() {
        Clusters c = twoNodes();
        for (int i = 0; i < 3; i++) {
            c.policy(ingress("dev/p" + i, labels("role=db"), new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))),
                    List.of(PolicyPort.tcp(80 + i)))));
        }
        Ruleset rs = compile(c.snapshot(), "n1");
        Chain chain = chainOf(rs, DB, "ingress-v4");
        assertThat(chain.rules().stream().filter(r -> !r.sources().isEmpty())).singleElement().satisfies(r -> {
            assertThat(r.sources()).extracting(Source::policy).containsExactly("dev/p0", "dev/p1", "dev/p2");
            assertThat(r.comment()).isEqualTo("dev/p0 ingress[0].from[0]; dev/p1 ingress[0].from[0]; dev/p2 ingress[0].from[0]");
        });
        FakeKernel k = kernel(rs);
        assertThat(k.forwards(FE2, DB, TCP, 82)).isTrue();
        assertThat(k.forwards(FE2, DB, TCP, 83)).isFalse();
    }

    @Test
    void aGroupWithMorePeersThanRulesMergesItsIpBlocksAndKeepsItsPodsInSharedSets() {
        Clusters c = twoNodes();
        for (int i = 0; i < 30; i++) {
            c.policy(ingress("dev/p" + i, labels("role=db"), new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend")),
                    PolicyPeer.ipBlock("172.16." + i + ".0/24")), List.of(PolicyPort.tcp(1000 + i)))));
        }
        Ruleset rs = compile(c.snapshot(), "n1");
        List<NamedSet> sets = setsUsedBy(rs, chainOf(rs, DB, "ingress-v4"));
        // The pods are elements of the peer's set only: a frontend pod coming or going changes nothing of the chain's.
        assertThat(sets).filteredOn(s -> keys(s).stream().anyMatch(key -> key.startsWith(FE2)))
                .extracting(NamedSet::name).singleElement().asString().startsWith("peer-");
        assertThat(sets).filteredOn(s -> s.name().startsWith("ing-")).singleElement()
                .satisfies(s -> assertThat(keys(s)).contains("172.16.7.0/24 . tcp . 1007"));
    }

    @Test
    void mergedSetsKeepDisjointElementsThatNameEverySource() {
        Clusters c = twoNodes();
        for (int i = 0; i < 10; i++) {
            // Twenty distinct ipBlocks: more than a chain has rules for.
            c.policy(ingress("dev/p" + i, labels("role=db"), new PolicyRule(List.of(PolicyPeer.ipBlock("10.244.2.0/24"),
                    PolicyPeer.ipBlock("192.0.2." + i + "/32")), List.of(PolicyPort.range("TCP", 80, 90 + i)))));
        }
        Ruleset rs = compile(c.snapshot(), "n1");
        NamedSet merged = setsUsedBy(rs, chainOf(rs, DB, "ingress-v4")).get(0);
        SetElement first = merged.elements().get(0);
        assertThat(first.keyToNft()).isEqualTo("10.244.2.0/24 . tcp . 80-90");
        assertThat(first.sources()).hasSize(10);
        assertThat(keys(merged)).doesNotHaveDuplicates();
    }

    @Test
    void invalidPolicyIsReportedAndItsPodsStayIsolated() {
        PolicyRule bad = new PolicyRule(List.of(PolicyPeer.ipBlock("10.0.0.0/33")), List.of());
        Compilation result = compiler.compile(twoNodes()
                .policy(ingress("dev/broken", labels("role=db"), bad))
                .policy(ingress("dev/fine", labels("role=frontend"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        assertThat(result.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.object()).isEqualTo("dev/broken");
            assertThat(d.field()).isEqualTo("spec.ingress[0].from[0].ipBlock.cidr");
            assertThat(d.format()).contains("stay isolated for ingress");
        });
        FakeKernel k = kernel(result.ruleset());
        assertThat(k.forwards(FE, DB, TCP, 80)).isFalse();
        assertThat(k.forwards(FE2, FE, TCP, 80)).isTrue();
        assertThat(k.forwards(DB, FE, TCP, 80)).isFalse();
    }

    @Test
    void sameSnapshotInAnyOrderRendersByteIdentical() {
        ClusterSnapshot snapshot = twoNodes()
                .policy(ingress("dev/a", labels("role=db"), FROM_FRONTEND_TCP_80))
                .policy(egress("dev/b", labels("role=frontend"), new PolicyRule(List.of(PolicyPeer.ipBlock("10.0.0.0/8", "10.1.0.0/16")), List.of())))
                .snapshot();
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        List<NetworkPolicy> policies = new ArrayList<>(snapshot.policies());
        Collections.shuffle(pods, new Random(7));
        Collections.reverse(policies);
        ClusterSnapshot shuffled = new ClusterSnapshot(snapshot.namespaces(), pods, policies);
        assertThat(NftRenderer.render(compile(shuffled, "n1"))).isEqualTo(NftRenderer.render(compile(snapshot, "n1")));
    }

    @Test
    void aNewPeerPodAddsOneElementAndChangesNoChain() {
        Clusters before = twoNodes().policy(ingress("dev/a", labels("role=db"), FROM_FRONTEND_TCP_80));
        Ruleset first = compile(before.snapshot(), "n1");
        Ruleset second = compile(before.pod("dev/fe3", "n2", "10.244.2.9", "role=frontend").snapshot(), "n1");
        assertThat(second.chains()).isEqualTo(first.chains());
        assertThat(second.sets()).extracting(NamedSet::name).isEqualTo(first.sets().stream().map(NamedSet::name).toList());
        assertThat(second.elementCount()).isEqualTo(first.elementCount() + 1);
    }

    @Test
    void namespaceSelectorPeerMatchesByTheImplicitNameLabel() {
        Clusters c = cluster().namespace("dev").namespace("ops")
                .pod("dev/db", "n1", DB, "role=db")
                .pod("ops/tool", "n2", "10.244.2.8", "app=tool")
                .pod("dev/tool", "n2", "10.244.2.9", "app=tool");
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.namespaces(labels("kubernetes.io/metadata.name=ops"))), List.of());
        FakeKernel k = kernel(compile(c.policy(ingress("dev/p", labels("role=db"), rule)).snapshot(), "n1"));
        assertThat(k.forwards("10.244.2.8", DB, TCP, 80)).isTrue();
        assertThat(k.forwards("10.244.2.9", DB, TCP, 80)).isFalse();
    }

    @Test
    void podAndNamespaceSelectorInOnePeerAreAndedWhileSeparatePeersAreOred() {
        Clusters c = cluster().namespace("dev").namespace("ops", "team=ops")
                .pod("dev/db", "n1", DB, "role=db")
                .pod("dev/fe", "n1", FE, "role=frontend")
                .pod("ops/fe", "n2", FE2, "role=frontend")
                .pod("ops/other", "n2", "10.244.2.7", "role=other");
        PolicyRule and = new PolicyRule(List.of(PolicyPeer.podsInNamespaces(labels("role=frontend"), labels("team=ops"))), List.of());
        FakeKernel k = kernel(compile(c.policy(ingress("dev/p", labels("role=db"), and)).snapshot(), "n1"));
        assertThat(k.forwards(FE2, DB, TCP, 80)).isTrue();
        assertThat(k.forwards(FE, DB, TCP, 80)).isFalse();
        assertThat(k.forwards("10.244.2.7", DB, TCP, 80)).isFalse();

        PolicyRule or = new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend")), PolicyPeer.namespaces(labels("team=ops"))), List.of());
        Clusters c2 = cluster().namespace("dev").namespace("ops", "team=ops")
                .pod("dev/db", "n1", DB, "role=db").pod("dev/fe", "n1", FE, "role=frontend")
                .pod("ops/fe", "n2", FE2, "role=frontend").pod("ops/other", "n2", "10.244.2.7", "role=other");
        FakeKernel k2 = kernel(compile(c2.policy(ingress("dev/p", labels("role=db"), or)).snapshot(), "n1"));
        assertThat(k2.forwards(FE, DB, TCP, 80)).isTrue();
        assertThat(k2.forwards("10.244.2.7", DB, TCP, 80)).isTrue();
    }

    @Test
    void egressAllowReturnsSoThatTheDestinationsIngressIsStillChecked() {
        Clusters c = twoNodes()
                .policy(egress("dev/e", labels("role=frontend"), PolicyRule.allowAll()))
                .policy(ingress("dev/i", labels("role=db")));
        Ruleset rs = compile(c.snapshot(), "n1");
        assertThat(chainOf(rs, FE, "egress-v4").rules()).extracting(Rule::statement)
                .allSatisfy(s -> assertThat(s).doesNotContain("accept"));
        assertThat(kernel(rs).forwards(FE, DB, TCP, 80)).isFalse();
    }

    private Ruleset compile(ClusterSnapshot snapshot, String node) {
        Compilation result = compiler.compile(snapshot, node);
        assertThat(result.diagnostics()).isEmpty();
        return result.ruleset();
    }

    private static FakeKernel kernel(Ruleset rs) {
        return new FakeKernel(rs);
    }

    private static VerdictMap verdictMap(Ruleset rs, String name) {
        return rs.maps().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    private static Chain chainOf(Ruleset rs, String podIp, String mapName) {
        String chain = verdictMap(rs, mapName).elements().stream().filter(e -> e.key().toString().equals(podIp))
                .findFirst().orElseThrow(() -> new AssertionError(podIp + " not in " + mapName)).chain();
        return rs.chains().stream().filter(c -> c.name().equals(chain)).findFirst().orElseThrow();
    }

    private static List<NamedSet> setsUsedBy(Ruleset rs, Chain chain) {
        return rs.sets().stream()
                .filter(s -> chain.rules().stream().anyMatch(r -> r.statement().contains("@" + s.name() + " ")))
                .toList();
    }

    private static List<String> keys(NamedSet set) {
        return set.elements().stream().map(SetElement::keyToNft).toList();
    }
}
