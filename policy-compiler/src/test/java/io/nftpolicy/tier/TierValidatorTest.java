package io.nftpolicy.tier;

import static io.nftpolicy.tier.Tiers.admin;
import static io.nftpolicy.tier.Tiers.everyNamespace;
import static io.nftpolicy.tier.Tiers.namespace;
import static io.nftpolicy.tier.Tiers.namespacePeer;
import static io.nftpolicy.tier.Tiers.pod;
import static io.nftpolicy.tier.Tiers.rule;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Protocol;
import io.nftpolicy.policy.LabelSelector;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What cannot be enforced as written fails closed, as the API says for a peer it does not know, and is reported
 * naming the policy and the field.
 */
class TierValidatorTest {

    private static List<Diagnostic> diagnostics(Tiers cluster) {
        return cluster.compile("n1").diagnostics();
    }

    @Test
    void domainNamesAreReportedAndTheirAcceptRuleMatchesNothing() {
        Tiers cluster = new Tiers()
                .add(admin("dns", 10, pod("x", "a"), List.of(), List.of(
                        rule("Accept", List.of(Peer.domainNames(List.of("*.kubernetes.io")))),
                        rule("Deny", List.of(everyNamespace())))));

        assertThat(diagnostics(cluster)).extracting(Diagnostic::format).containsExactly(
                "ClusterNetworkPolicy dns: spec.egress[0].to[0].domainNames: not supported by nftpolicy (treated as"
                        + " a peer it does not know) (the rule matches nothing)");
        assertThat(cluster.allowed("x/a", "y/a", 80)).isFalse();
    }

    @Test
    void aDenyRuleWithAnUnknownPeerDeniesEverything() {
        Tiers cluster = new Tiers()
                .add(admin("future", 10, pod("x", "a"), List.of(new ClusterNetworkPolicy.Rule("", "Deny",
                        List.of(new Peer(null, null, null, null, null, List.of("serviceAccounts"))), List.of())),
                        List.of()));

        assertThat(diagnostics(cluster)).extracting(Diagnostic::field).containsExactly("spec.ingress[0].from[0]");
        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
        assertThat(cluster.allowed("y/a", "x/b", 80)).isTrue();
    }

    @Test
    void aPassRuleWithAnInvalidPortDeniesEverything() {
        Tiers cluster = new Tiers()
                .add(admin("bad-port", 10, pod("x", "a"), List.of(rule("Pass", List.of(namespacePeer("y")),
                        Protocol.range("TCP", 90, 80))), List.of()));

        assertThat(diagnostics(cluster)).extracting(Diagnostic::field)
                .containsExactly("spec.ingress[0].protocols[0].tcp.destinationPort.range");
        assertThat(cluster.allowed("x/b", "x/a", 80)).as("not only from y").isFalse();
    }

    @Test
    void aPriorityOutOfRangeDeniesTheSubjectsTrafficBeforeEveryAdminPolicy() {
        Tiers cluster = new Tiers()
                .add(admin("too-late", 1001, pod("x", "a"), List.of(rule("Accept", List.of(everyNamespace()))),
                        List.of()))
                .add(admin("accept", 0, pod("x", "a"), List.of(rule("Accept", List.of(everyNamespace()))), List.of()));

        assertThat(diagnostics(cluster)).extracting(Diagnostic::format).containsExactly(
                "ClusterNetworkPolicy too-late: spec.priority: 1001 is outside 0..1000 (denies all traffic of its"
                        + " subject, before every Admin policy)");
        assertThat(cluster.allowed("y/a", "x/a", 80)).isFalse();
        assertThat(cluster.allowed("x/a", "y/a", 80)).as("the policy has no egress rules").isTrue();
    }

    @Test
    void anUnknownTierFailsClosedLikeABadPriority() {
        Tiers cluster = new Tiers().add(new ClusterNetworkPolicy("dev", "Developer", 10, namespace("x"),
                List.of(), List.of(rule("Accept", List.of(everyNamespace())))));

        assertThat(diagnostics(cluster)).extracting(Diagnostic::field).containsExactly("spec.tier");
        assertThat(cluster.allowed("x/a", "y/a", 80)).isFalse();
        assertThat(cluster.allowed("y/a", "x/a", 80)).isTrue();
    }

    @Test
    void aSubjectWithBothFieldsSelectsNoPod() {
        Tiers cluster = new Tiers().add(admin("both", 10, new ClusterNetworkPolicy.Subject(LabelSelector.all(),
                new ClusterNetworkPolicy.NamespacedPods(LabelSelector.all(), LabelSelector.all())),
                List.of(rule("Deny", List.of(everyNamespace()))), List.of()));

        assertThat(diagnostics(cluster)).extracting(Diagnostic::format).containsExactly(
                "ClusterNetworkPolicy both: spec.subject: exactly one of namespaces or pods must be set (selects no pod)");
        assertThat(cluster.allowed("y/a", "x/a", 80)).isTrue();
    }

    @Test
    void anIngressRuleMayNotNameNetworks() {
        Tiers cluster = new Tiers().add(admin("net-in", 10, pod("x", "a"),
                List.of(rule("Accept", List.of(Peer.networks(List.of("10.0.0.0/8"))))), List.of()));

        assertThat(diagnostics(cluster)).extracting(Diagnostic::format).containsExactly(
                "ClusterNetworkPolicy net-in: spec.ingress[0].from[0]: only namespaces and pods peers are allowed in"
                        + " ingress rules (the rule matches nothing)");
    }

    @Test
    void aBadCidrNamesItsIndex() {
        Tiers cluster = new Tiers().add(admin("net", 10, pod("x", "a"), List.of(),
                List.of(rule("Deny", List.of(Peer.networks(List.of("10.0.0.0/8", "10.0.0.0/99")))))));

        assertThat(diagnostics(cluster)).extracting(Diagnostic::field)
                .containsExactly("spec.egress[0].to[0].networks[1]");
        assertThat(cluster.allowed("x/a", "y/a", 80)).as("the Deny rule denies everything").isFalse();
    }
}
