package io.nftpolicy.tier;

import static io.nftpolicy.tier.Tiers.admin;
import static io.nftpolicy.tier.Tiers.everyNamespace;
import static io.nftpolicy.tier.Tiers.namespace;
import static io.nftpolicy.tier.Tiers.namespacePeer;
import static io.nftpolicy.tier.Tiers.podsOf;
import static io.nftpolicy.tier.Tiers.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Protocol;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The layout that keeps a tier subject's per-packet cost flat: a run of consecutive rules of one action is one
 * lookup per family, and the Admin rules are written once however many NetworkPolicy chains their subjects have.
 */
class TierLayoutTest {

    @Test
    void twentyDenyPoliciesInARowAreOneLookupPerFamily() {
        Tiers cluster = new Tiers();
        for (int i = 0; i < 20; i++) {
            String ns = "z" + i;
            cluster.namespaces.add(new Namespace(ns, Map.of("ns", ns)));
            cluster.pod(ns + "/a", "n2", "10.244.3." + i, "fd00:244:3::" + Integer.toHexString(i + 1));
            cluster.add(admin(String.format("deny-%02d", i), i, namespace("x"),
                    List.of(rule("Deny", List.of(namespacePeer(ns)))), List.of()));
        }

        Chain chain = adminChain(cluster.compile("n1").ruleset(), "cnp-ing-");

        assertThat(chain.rules()).extracting(Rule::statement).hasSize(3)
                .allSatisfy(s -> assertThat(s).matches("ip6? saddr @cnp-run-\\w+-v[46] jump cnp-deny|goto cnp-ing-next"));
        assertThat(cluster.summary("z7/a", "x/a", 80))
                .isEqualTo("drop: ingress of x/a denied by Admin deny-07[7] ingress[0] Deny, before NetworkPolicy");
        assertThat(cluster.allowed("y/a", "x/a", 80)).isTrue();
    }

    @Test
    void theAdminRulesAppearOnceWhenTheirSubjectsHaveDifferentNetworkPolicyChains() {
        Tiers cluster = new Tiers().networkPolicyIsolatingIngressOfXa()
                .add(admin("guard-x", 10, namespace("x"), List.of(rule("Deny", List.of(podsOf("y", "b")))), List.of()));
        cluster.policies.add(new NetworkPolicy("x", "only-x-into-b", LabelSelector.matchLabels(Map.of("pod", "b")),
                List.of("Ingress"), List.of(new io.nftpolicy.policy.PolicyRule(List.of(
                        io.nftpolicy.policy.PolicyPeer.namespaces(LabelSelector.all())), List.of())), List.of()));
        Ruleset ruleset = cluster.compile("n1").ruleset();

        assertThat(ruleset.chains()).flatExtracting(Chain::rules).extracting(Rule::comment)
                .filteredOn(c -> c.contains("guard-x")).hasSize(2); // one per family, in one chain
        assertThat(ruleset.maps()).filteredOn(m -> m.name().equals("cnp-next-ingress-v4"))
                .flatExtracting(m -> m.elements()).extracting(MapElement::comment, e -> e.chain().substring(0, 4))
                .containsExactly(org.assertj.core.groups.Tuple.tuple("x/a", "ing-"),
                        org.assertj.core.groups.Tuple.tuple("x/b", "ing-"));
        assertThat(cluster.allowed("y/b", "x/b", 80)).as("Admin Deny").isFalse();
        assertThat(cluster.allowed("y/a", "x/b", 80)).as("x/b's NetworkPolicy allows").isTrue();
        assertThat(cluster.allowed("y/a", "x/a", 80)).as("x/a's NetworkPolicy isolates").isFalse();
    }

    @Test
    void alternatingActionsKeepOneRulePerRunInTheOrderWritten() {
        Tiers cluster = new Tiers()
                .add(admin("first", 10, namespace("x"), List.of(
                        rule("Accept", List.of(podsOf("y", "a"))),
                        rule("Deny", List.of(namespacePeer("y")))), List.of()))
                .add(admin("second", 20, namespace("x"), List.of(rule("Accept", List.of(everyNamespace()))), List.of()));

        Chain chain = adminChain(cluster.compile("n1").ruleset(), "cnp-ing-");

        assertThat(chain.rules()).extracting(Rule::comment).containsExactly(
                "cnp/first ingress[0] (Accept) Admin[10]", "cnp/first ingress[0] (Accept) Admin[10]",
                "cnp/first ingress[1] (Deny) Admin[10]", "cnp/first ingress[1] (Deny) Admin[10]",
                "cnp/second ingress[0] (Accept) Admin[20]", "cnp/second ingress[0] (Accept) Admin[20]",
                "no Admin rule decided: NetworkPolicy, else the Baseline tier");
        assertThat(cluster.allowed("y/a", "x/a", 80)).isTrue();
        assertThat(cluster.allowed("y/b", "x/a", 80)).isFalse();
        assertThat(cluster.allowed("x/b", "x/a", 80)).isTrue();
    }

    @Test
    void aRunNamesEveryRuleInOrderAndExplainNamesTheFirstThatCoversThePacket() {
        Tiers cluster = new Tiers()
                .add(admin("deny-yb", 10, namespace("x"), List.of(rule("Deny", List.of(podsOf("y", "b")))), List.of()))
                .add(admin("deny-y", 20, namespace("x"), List.of(rule("Deny", List.of(namespacePeer("y")))), List.of()));

        Chain chain = adminChain(cluster.compile("n1").ruleset(), "cnp-ing-");

        assertThat(chain.rules().get(0).comment())
                .isEqualTo("cnp/deny-yb ingress[0] (Deny) Admin[10]; cnp/deny-y ingress[0] (Deny) Admin[20]");
        assertThat(cluster.summary("y/b", "x/a", 80)).contains("Admin deny-yb[10] ingress[0] Deny");
        assertThat(cluster.summary("y/a", "x/a", 80)).contains("Admin deny-y[20] ingress[0] Deny");
    }

    @Test
    void overlappingPeersOfARunAreCutIntoDisjointCellsThatNameTheirPodAndEveryRule() {
        Tiers cluster = new Tiers()
                .add(admin("no-net", 10, namespace("y"), List.of(), List.of(rule("Deny", List.of(
                        Peer.networks(List.of("10.244.1.0/24")))))))
                .add(admin("no-xa", 20, namespace("y"), List.of(), List.of(rule("Deny", List.of(podsOf("x", "a"))))));

        NamedSet set = cluster.compile("n2").ruleset().sets().stream()
                .filter(s -> s.name().startsWith("cnp-run-") && s.name().endsWith("-v4")).findFirst().orElseThrow();

        assertThat(set.interval()).isTrue();
        assertThat(set.elements()).extracting(SetElement::keyToNft)
                .containsExactly("10.244.1.0-10.244.1.9", "10.244.1.10", "10.244.1.11-10.244.1.255");
        SetElement pod = set.elements().get(1);
        assertThat(pod.comment()).isEqualTo("x/a");
        assertThat(pod.sources()).extracting(Source::policy).containsExactly("cnp/no-net", "cnp/no-xa");
        assertThat(cluster.summary("y/a", "x/a", 80)).contains("Admin no-net[10] egress[0] Deny");
    }

    @Test
    void portsOfARunShareOnePeerProtocolPortSet() {
        Tiers cluster = new Tiers()
                .add(admin("web", 10, namespace("x"), List.of(rule("Deny", List.of(namespacePeer("y")),
                        Protocol.port("TCP", 80))), List.of()))
                .add(admin("range", 20, namespace("x"), List.of(rule("Deny", List.of(podsOf("y", "a")),
                        Protocol.range("TCP", 79, 90))), List.of()));

        Chain chain = adminChain(cluster.compile("n1").ruleset(), "cnp-ing-");

        assertThat(chain.rules()).extracting(Rule::statement).filteredOn(s -> s.startsWith("ip saddr"))
                .singleElement().asString().matches("ip saddr \\. meta l4proto \\. th dport @cnp-runp-\\w+-v4 jump cnp-deny");
        assertThat(cluster.allowed("y/b", "x/a", 80)).isFalse();
        assertThat(cluster.allowed("y/b", "x/a", 81)).isTrue();
        assertThat(cluster.allowed("y/a", "x/a", 85)).isFalse();
        assertThat(cluster.summary("y/a", "x/a", 80)).contains("Admin web[10] ingress[0] Deny");
    }

    @Test
    void aRunOfOneRuleWithOnePeerLooksUpThePeersSharedSet() {
        Tiers cluster = new Tiers()
                .add(admin("let-y", 10, namespace("x"), List.of(rule("Accept", List.of(namespacePeer("y")),
                        Protocol.port("TCP", 81))), List.of()))
                .add(admin("deny-y", 20, namespace("x"), List.of(rule("Deny", List.of(namespacePeer("y")))), List.of()));

        Ruleset ruleset = cluster.compile("n1").ruleset();

        assertThat(ruleset.sets()).filteredOn(s -> s.name().endsWith("-v4"))
                .filteredOn(s -> s.elements().stream().anyMatch(e -> e.comment().equals("y/a"))).singleElement()
                .satisfies(s -> assertThat(s.name()).matches("cnp-\\w{8}-v4"));
        assertThat(cluster.allowed("y/a", "x/a", 81)).isTrue();
        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
    }

    private static Chain adminChain(Ruleset ruleset, String prefix) {
        return ruleset.chains().stream()
                .filter(c -> c.name().startsWith(prefix) && !c.name().endsWith("-next"))
                .filter(c -> c.rules().get(c.rules().size() - 1).statement().startsWith("goto "))
                .findFirst().orElseThrow();
    }
}
