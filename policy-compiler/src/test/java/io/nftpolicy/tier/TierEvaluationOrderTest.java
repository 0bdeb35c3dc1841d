package io.nftpolicy.tier;

import static io.nftpolicy.tier.Tiers.admin;
import static io.nftpolicy.tier.Tiers.baseline;
import static io.nftpolicy.tier.Tiers.everyNamespace;
import static io.nftpolicy.tier.Tiers.namespace;
import static io.nftpolicy.tier.Tiers.namespacePeer;
import static io.nftpolicy.tier.Tiers.pod;
import static io.nftpolicy.tier.Tiers.podsOf;
import static io.nftpolicy.tier.Tiers.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Protocol;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The evaluation order of ClusterNetworkPolicy per direction: Admin tier by priority then rule order, first match
 * decides; then NetworkPolicy when it isolates the pod; else Baseline; else allowed. Judged on compiled tables.
 */
class TierEvaluationOrderTest {

    @Test
    void anAdminDenyOverridesANetworkPolicyAllow() {
        Tiers cluster = new Tiers().networkPolicyAllowingIngressOfXa()
                .add(admin("guard-x", 10, pod("x", "a"), List.of(rule("Deny", List.of(namespacePeer("y")))), List.of()));

        assertThat(cluster.allowed("y/b", "x/a", 80)).isFalse();
        assertThat(cluster.allowed("x/b", "x/a", 80)).isTrue();
    }

    @Test
    void anAdminPassHandsOverToNetworkPolicy() {
        Tiers cluster = new Tiers().networkPolicyIsolatingIngressOfXa()
                .add(admin("pass-y", 10, pod("x", "a"), List.of(
                        rule("Pass", List.of(namespacePeer("y"))),
                        rule("Accept", List.of(everyNamespace()))), List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).as("passed to NetworkPolicy, which isolates").isFalse();
        assertThat(cluster.allowed("x/b", "x/a", 80)).as("accepted by the second rule").isTrue();
    }

    @Test
    void anAdminPassHandsOverToBaselineWhenNetworkPolicyDoesNotIsolate() {
        Tiers cluster = new Tiers()
                .add(admin("pass-y", 10, pod("x", "a"), List.of(rule("Pass", List.of(namespacePeer("y")))), List.of()))
                .add(baseline("default-deny", 5, namespace("x"), List.of(rule("Deny", List.of(everyNamespace()))),
                        List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
        assertThat(cluster.summary("y/a", "x/a", 80)).contains("Baseline default-deny[5] ingress[0] Deny");
    }

    @Test
    void aBaselineDenyAppliesOnlyWhereNetworkPolicyDoesNotIsolate() {
        Tiers cluster = new Tiers().networkPolicyAllowingIngressOfXa()
                .add(baseline("default-deny", 5, namespace("x"), List.of(rule("Deny", List.of(everyNamespace()))),
                        List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).as("x/a: NetworkPolicy decides").isTrue();
        assertThat(cluster.allowed("y/a", "x/b", 80)).as("x/b: Baseline decides").isFalse();
    }

    @Test
    void anAdminAcceptOverridesBaselineDenyAndNetworkPolicyIsolation() {
        Tiers cluster = new Tiers().networkPolicyIsolatingIngressOfXa()
                .add(admin("let-y", 10, namespace("x"), List.of(rule("Accept", List.of(namespacePeer("y")))), List.of()))
                .add(baseline("default-deny", 5, namespace("x"), List.of(rule("Deny", List.of(everyNamespace()))),
                        List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).as("over NetworkPolicy isolation").isTrue();
        assertThat(cluster.allowed("y/a", "x/b", 80)).as("over Baseline deny").isTrue();
        assertThat(cluster.allowed("x/b", "x/a", 80)).as("NetworkPolicy still isolates for others").isFalse();
        assertThat(cluster.allowed("x/a", "x/b", 80)).as("Baseline still denies others").isFalse();
    }

    @Test
    void aLowerPriorityNumberIsEvaluatedFirst() {
        Tiers cluster = new Tiers()
                .add(admin("deny-late", 20, pod("x", "a"), List.of(rule("Deny", List.of(everyNamespace()))), List.of()))
                .add(admin("accept-early", 10, pod("x", "a"), List.of(rule("Accept", List.of(namespacePeer("y")))),
                        List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).isTrue();
        assertThat(cluster.allowed("x/b", "x/a", 80)).isFalse();
    }

    @Test
    void policiesOfEqualPriorityAreEvaluatedInNameOrder() {
        Tiers cluster = new Tiers()
                .add(admin("b-accept", 10, pod("x", "a"), List.of(rule("Accept", List.of(everyNamespace()))), List.of()))
                .add(admin("a-deny", 10, pod("x", "a"), List.of(rule("Deny", List.of(everyNamespace()))), List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
        assertThat(cluster.summary("y/a", "x/a", 80)).contains("Admin a-deny[10] ingress[0] Deny, before NetworkPolicy");
    }

    @Test
    void rulesOfOnePolicyRunInTheOrderWritten() {
        Tiers cluster = new Tiers()
                .add(admin("ordered", 10, pod("x", "a"), List.of(
                        rule("Accept", List.of(podsOf("y", "a"))),
                        rule("Deny", List.of(namespacePeer("y")))), List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).isTrue();
        assertThat(cluster.allowed("y/b", "x/a", 80)).isFalse();
    }

    @Test
    void anEgressAcceptLeavesTheDestinationsIngressToApply() {
        Tiers cluster = new Tiers().networkPolicyIsolatingIngressOfXa()
                .add(admin("out", 10, namespace("y"), List.of(), List.of(rule("Accept", List.of(everyNamespace())))));

        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
        assertThat(cluster.allowed("y/a", "x/b", 80)).isTrue();
    }

    @Test
    void anEgressDenyStopsTheConnectionAtTheSource() {
        Tiers cluster = new Tiers()
                .add(admin("no-x", 10, namespace("y"), List.of(), List.of(rule("Deny", List.of(namespacePeer("x"))))));

        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
        assertThat(cluster.tcp("y/a", "x/a", 80).droppedAt().orElseThrow().node()).isEqualTo("n2");
        assertThat(cluster.allowed("y/a", "y/b", 80)).isTrue();
    }

    @Test
    void portsNumbersRangesAndNamedPortsNarrowARule() {
        Tiers cluster = new Tiers()
                .add(admin("ports", 10, pod("x", "a"), List.of(rule("Deny", List.of(everyNamespace()),
                        Protocol.port("TCP", 80), Protocol.range("TCP", 8000, 8100),
                        Protocol.named("serve-81-tcp"))), List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
        assertThat(cluster.allowed("y/a", "x/a", 81)).as("named port on the destination").isFalse();
        assertThat(cluster.allowed("y/a", "x/a", 8050)).isFalse();
        assertThat(cluster.allowed("y/a", "x/a", 8101)).isTrue();
        assertThat(cluster.allowed("y/a", "x/a", 82)).isTrue();
    }

    @Test
    void anEgressNamedPortResolvesOnTheDestinationPod() {
        Tiers cluster = new Tiers()
                .add(admin("named", 10, namespace("y"), List.of(), List.of(rule("Deny", List.of(namespacePeer("x")),
                        Protocol.named("serve-81-tcp")))));

        assertThat(cluster.allowed("y/a", "x/a", 81)).isFalse();
        assertThat(cluster.allowed("y/a", "x/a", 80)).isTrue();
    }

    @Test
    void networksMatchEgressInBothFamilies() {
        Tiers cluster = new Tiers()
                .add(admin("no-net", 10, namespace("y"), List.of(), List.of(rule("Deny", List.of(
                        Peer.networks(List.of("10.244.1.10/32", "fd00:244:1::11/128")))))));

        assertThat(cluster.compile("n2").ruleset().sets()).anySatisfy(s -> assertThat(s.name()).endsWith("-v6"));
        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
        assertThat(cluster.allowed("y/a", "x/b", 80)).as("x/b is dialled at its IPv4 address").isTrue();
    }

    @Test
    void nodesMatchTheAddressesOfTheSelectedNodes() {
        Tiers cluster = new Tiers()
                .add(admin("no-workers", 10, namespace("y"), List.of(), List.of(rule("Deny", List.of(
                        Peer.nodes(Tiers.labels("role=worker")))))));

        assertThat(cluster.compile("n2").ruleset().sets())
                .anySatisfy(s -> assertThat(s.elements()).anySatisfy(e -> assertThat(e.comment()).isEqualTo("node n1")));
        assertThat(cluster.compile("n2").ruleset().sets())
                .noneSatisfy(s -> assertThat(s.elements()).anySatisfy(e -> assertThat(e.comment()).isEqualTo("node n2")));
    }

    @Test
    void aBaselinePassLeavesTheConnectionAllowed() {
        Tiers cluster = new Tiers()
                .add(baseline("pass-then-deny", 5, namespace("x"), List.of(
                        rule("Pass", List.of(namespacePeer("y"))),
                        rule("Deny", List.of(everyNamespace()))), List.of()));

        assertThat(cluster.allowed("y/a", "x/a", 80)).isTrue();
        assertThat(cluster.allowed("x/b", "x/a", 80)).isFalse();
    }

    @Test
    void rulesCarryTheirProvenance() {
        Tiers cluster = new Tiers()
                .add(admin("guard-x", 10, pod("x", "a"), List.of(
                        rule("Accept", List.of(podsOf("x", "b"))),
                        rule("Deny", List.of(namespacePeer("y")))), List.of()));

        assertThat(cluster.compile("n1").ruleset().chains()).flatExtracting(c -> c.rules())
                .extracting(r -> r.comment())
                .contains("cnp/guard-x ingress[1] (Deny) Admin[10]", "cnp/guard-x ingress[0] (Accept) Admin[10]");
        assertThat(cluster.summary("y/a", "x/a", 80))
                .isEqualTo("drop: ingress of x/a denied by Admin guard-x[10] ingress[1] Deny, before NetworkPolicy");
    }

    @Test
    void hostNetworkPodsAreNeverSubjects() {
        Tiers cluster = new Tiers()
                .add(admin("all", 10, namespace("x"), List.of(rule("Deny", List.of(everyNamespace()))), List.of()));
        cluster.pods.add(new io.nftpolicy.cluster.Pod("x", "host", java.util.Map.of(), "n1", true,
                io.nftpolicy.cluster.PodPhase.RUNNING, false, List.of("192.168.1.1"), List.of()));

        assertThat(cluster.compile("n1").ruleset().maps()).flatExtracting(m -> m.elements())
                .noneSatisfy(e -> assertThat(e.comment()).isEqualTo("x/host"));
    }
}
