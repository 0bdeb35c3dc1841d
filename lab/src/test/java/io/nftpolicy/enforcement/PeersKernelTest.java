package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.expressions;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.ipBlock;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.map;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.peers;
import static io.nftpolicy.testing.Policies.pods;
import static io.nftpolicy.testing.Policies.podsInNamespaces;
import static io.nftpolicy.testing.Policies.requirement;
import static io.nftpolicy.testing.Policies.rule;
import static io.nftpolicy.testing.Policies.selector;
import static io.nftpolicy.testing.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.lab.LabException;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.reachability.Endpoint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which pods and addresses a peer stands for: semantics.md "Peers". Pod addresses: see {@link UpstreamModel}
 * (node-1 holds 10.244.1.0/24: x/a x/b y/a y/b z/a; node-2 holds 10.244.2.0/24: x/c y/c z/b z/c).
 */
class PeersKernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint UDP80 = Endpoint.udp(80);
    private static final String CLUSTER_IP = "10.96.0.10";

    /** Ingress to x/a from these peers, in one rule without ports. */
    private static io.nftpolicy.policy.NetworkPolicy toXA(io.nftpolicy.policy.PolicyPeer... peers) {
        return ingress("x/to-a", labels("pod=a"), peers(peers));
    }

    // ---- podSelector, namespaceSelector, AND, OR ----

    @Test
    void aPodSelectorPeerSelectsPodsOfThePolicysOwnNamespaceOnly() throws LabException {
        lab.enforce(toXA(pods(labels("pod=b"))));

        // y/b and z/b carry pod=b as well, but live in other namespaces.
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "x/b"));
    }

    @Test
    void theSamePodSelectorPeerInTwoNamespacesStandsForDifferentPods() throws LabException {
        // x/a and y/a share node-1: one ruleset, two chains with the same peer as written
        lab.enforce(toXA(pods(labels("pod=b"))),
                ingress("y/to-a", labels("pod=a"), peers(pods(labels("pod=b")))));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "x/b").denyTo("y/a").allowTo("y/a", "y/b"));
    }

    @Test
    void aNamespaceSelectorPeerSelectsEveryPodOfTheMatchingNamespaces() throws LabException {
        lab.enforce(toXA(namespaces(labels("ns=y"))));

        lab.checkTable("""
                TCP/80 IPv4
                -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
                x/a .   .   .   .   .   .   .   .   .
                x/b X   .   .   .   .   .   .   .   .
                x/c X   .   .   .   .   .   .   .   .
                y/a .   .   .   .   .   .   .   .   .
                y/b .   .   .   .   .   .   .   .   .
                y/c .   .   .   .   .   .   .   .   .
                z/a X   .   .   .   .   .   .   .   .
                z/b X   .   .   .   .   .   .   .   .
                z/c X   .   .   .   .   .   .   .   .
                """);
    }

    @Test
    void podSelectorAndNamespaceSelectorInOnePeerAreAnded() throws LabException {
        // - from:
        //   - namespaceSelector: {matchLabels: {ns: y}}
        //     podSelector: {matchLabels: {pod: b}}
        lab.enforce(toXA(podsInNamespaces(labels("pod=b"), labels("ns=y"))));

        lab.checkTable("""
                TCP/80 IPv4
                -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
                x/a .   .   .   .   .   .   .   .   .
                x/b X   .   .   .   .   .   .   .   .
                x/c X   .   .   .   .   .   .   .   .
                y/a X   .   .   .   .   .   .   .   .
                y/b .   .   .   .   .   .   .   .   .
                y/c X   .   .   .   .   .   .   .   .
                z/a X   .   .   .   .   .   .   .   .
                z/b X   .   .   .   .   .   .   .   .
                z/c X   .   .   .   .   .   .   .   .
                """);
    }

    @Test
    void podSelectorAndNamespaceSelectorInTwoPeersAreOred() throws LabException {
        // - from:
        //   - namespaceSelector: {matchLabels: {ns: y}}
        //   - podSelector: {matchLabels: {pod: b}}       <- one dash more: a second peer, in x
        lab.enforce(toXA(namespaces(labels("ns=y")), pods(labels("pod=b"))));

        lab.checkTable("""
                TCP/80 IPv4
                -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
                x/a .   .   .   .   .   .   .   .   .
                x/b .   .   .   .   .   .   .   .   .
                x/c X   .   .   .   .   .   .   .   .
                y/a .   .   .   .   .   .   .   .   .
                y/b .   .   .   .   .   .   .   .   .
                y/c .   .   .   .   .   .   .   .   .
                z/a X   .   .   .   .   .   .   .   .
                z/b X   .   .   .   .   .   .   .   .
                z/c X   .   .   .   .   .   .   .   .
                """);
    }

    @Test
    void anEmptyNamespaceSelectorSelectsEveryNamespace() throws LabException {
        lab.enforce(toXA(podsInNamespaces(labels("pod=b"), all())),
                ingress("x/to-c", labels("pod=c"), peers(namespaces(all()))));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "*/b"));
    }

    // ---- matchExpressions ----

    @Test
    void podMatchExpressionInSelectsPodsWithOneOfTheValues() throws LabException {
        lab.enforce(toXA(podsInNamespaces(expressions(requirement("pod", "In", "b", "c")), all())));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "*/b", "*/c"));
    }

    @Test
    void podMatchExpressionNotInAlsoSelectsPodsWithoutTheKey() throws LabException {
        lab.relabelPod("y/b", map("pod=b", "tier=db"));
        lab.relabelPod("z/c", map("pod=c", "tier=web"));
        lab.enforce(toXA(podsInNamespaces(expressions(requirement("tier", "NotIn", "db")), all())));

        // Only y/b has tier=db; z/c has another value, every other pod has no tier label at all.
        lab.check(expect(TCP80).deny("y/b", "x/a"));
    }

    @Test
    void podMatchExpressionsExistsAndDoesNotExist() throws LabException {
        lab.relabelPod("y/a", map("pod=a", "tier=web"));
        lab.relabelPod("z/c", map("pod=c", "tier=db"));
        lab.enforce(toXA(podsInNamespaces(expressions(requirement("tier", "Exists")), all())),
                ingress("x/to-b", labels("pod=b"),
                        peers(podsInNamespaces(expressions(requirement("tier", "DoesNotExist")), all()))));

        lab.check(expect(TCP80)
                .denyTo("x/a").allowTo("x/a", "y/a", "z/c")
                .deny("y/a", "x/b").deny("z/c", "x/b"));
    }

    @Test
    void namespaceMatchExpressionsInAndNotIn() throws LabException {
        lab.relabelNamespace("z", map("ns=z", "env=prod"));
        lab.enforce(toXA(namespaces(expressions(requirement("ns", "In", "y", "z")))),
                // NotIn: y and x have no env label at all, z has env=prod
                ingress("x/to-b", labels("pod=b"), peers(namespaces(expressions(requirement("env", "NotIn", "prod"))))));

        lab.check(expect(TCP80)
                .denyTo("x/a").allowTo("x/a", "y/*", "z/*")
                .deny("z/*", "x/b"));
    }

    @Test
    void namespaceMatchExpressionsExistsAndDoesNotExist() throws LabException {
        lab.relabelNamespace("y", map("ns=y", "env=dev"));
        lab.enforce(toXA(namespaces(expressions(requirement("env", "Exists")))),
                ingress("x/to-b", labels("pod=b"), peers(namespaces(expressions(requirement("env", "DoesNotExist"))))));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/*").deny("y/*", "x/b"));
    }

    @Test
    void matchLabelsAndMatchExpressionsOfOneSelectorAreAnded() throws LabException {
        lab.relabelPod("y/c", map("pod=c", "tier=web"));
        lab.relabelPod("z/b", map("pod=b", "tier=web"));
        LabelSelector cAndTier = selector(Map.of("pod", "c"), requirement("tier", "Exists"));
        lab.enforce(toXA(podsInNamespaces(cAndTier, all())));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/c"));
    }

    @Test
    void aNamespaceIsSelectedByNameThroughKubernetesIoMetadataName() throws LabException {
        // The snapshot's namespace z carries no label at all: the name label is the compiler's (and the API
        // server's) doing.
        lab.relabelNamespace("z", Map.of());
        assertThat(new Namespace("z", Map.of()).labels()).containsEntry("kubernetes.io/metadata.name", "z");
        lab.enforce(toXA(namespaces(labels("kubernetes.io/metadata.name=z"))));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "z/*"));
    }

    // ---- ipBlock ----

    @Test
    void anIpBlockOfAPodsSlash32AllowsThatPodAsUpstreamDoes() throws LabException {
        lab.enforce(toXA(ipBlock("10.244.2.3/32"))); // y/c

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/c"), expect(UDP80).denyTo("x/a").allowTo("x/a", "y/c"));
    }

    @Test
    void anExceptCarvesOnlyItsOwnPeerAnotherPeerOfTheRuleStillAllowsTheAddress() throws LabException {
        // node-2's subnet is excepted, but y/c (10.244.2.3) is allowed by the rule's second peer.
        lab.enforce(toXA(ipBlock("10.244.0.0/16", "10.244.2.0/24"), podsInNamespaces(labels("pod=c"), labels("ns=y"))));

        lab.check(expect(TCP80).deny("x/c", "x/a").deny("z/b", "x/a").deny("z/c", "x/a"));
    }

    @Test
    void anExceptCarvesOnlyItsOwnPeerAnotherPolicyStillAllowsTheAddress() throws LabException {
        // node-1's subnet is excepted, but x/b (10.244.1.3) is allowed by another policy selecting x/a.
        lab.enforce(toXA(ipBlock("10.244.0.0/16", "10.244.1.0/24")),
                ingress("x/a-from-b", labels("pod=a"), peers(pods(labels("pod=b")))));

        lab.check(expect(TCP80).deny("y/a", "x/a").deny("y/b", "x/a").deny("z/a", "x/a"));
    }

    @Test
    void egressToAnIpBlockAllowsExactlyItsAddresses() throws LabException {
        lab.enforce(egress("x/a-to-node-2", labels("pod=a"), peers(ipBlock("10.244.2.0/24"))));

        lab.check(expect(TCP80).denyFrom("x/a").allowFrom("x/a", "x/c", "y/c", "z/b", "z/c"),
                expect(UDP80).denyFrom("x/a").allowFrom("x/a", "x/c", "y/c", "z/b", "z/c"));
    }

    @Test
    void egressToAnIpBlockWithExceptLeavesTheExceptedAddressesOut() throws LabException {
        // 10.244.2.4/30 is z/b (.4) and z/c (.5)
        lab.enforce(egress("x/a-to-cluster", labels("pod=a"), peers(ipBlock("10.244.0.0/16", "10.244.2.4/30"))));

        lab.check(expect(TCP80).deny("x/a", "z/b").deny("x/a", "z/c"));
    }

    @Test
    void overlappingExceptsAtTheEdgesOfTheCidrAreAllCarvedOut() throws LabException {
        // node-2's /24 minus .2 (x/c), minus .4/30 and the nested .4/31 (z/b .4, z/c .5): y/c (.3) alone remains
        lab.enforce(toXA(ipBlock("10.244.2.0/24", "10.244.2.4/31", "10.244.2.2/32", "10.244.2.4/30")));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/c"));
    }

    @Test
    void egressToTheWholeAddressSpaceExceptOnePod() throws LabException {
        lab.enforce(egress("x/a-anywhere-but-yc", labels("pod=a"), peers(ipBlock("0.0.0.0/0", "10.244.2.3/32"))));

        lab.check(expect(TCP80).deny("x/a", "y/c"), expect(UDP80).deny("x/a", "y/c"));
    }

    @Test
    void policyMatchesAfterServiceDnatTheBackendPodIpNotTheClusterIp() throws Exception {
        // kube-proxy's part, on x/a's node: ClusterIP 10.96.0.10:80 -> y/c:80 (cross-node backend).
        lab.addToNode(UpstreamModel.NODE1, """
                table ip kube-proxy-lab {
                  chain prerouting {
                    type nat hook prerouting priority dstnat; policy accept;
                    ip daddr %s tcp dport 80 dnat to 10.244.2.3:80
                  }
                }
                """.formatted(CLUSTER_IP));
        lab.enforce();
        assertThat(lab.tcpAnswer("x/a", CLUSTER_IP, 80)).as("the service works without policy").isEqualTo("y/c");

        lab.enforce(egress("x/a-to-cluster-ips", labels("pod=a"), peers(ipBlock("10.96.0.0/12"))));
        assertThat(lab.tcpAnswer("x/a", CLUSTER_IP, 80)).as("an ipBlock of the ClusterIP does not match: "
                + "the policy sees the backend").isNull();

        lab.enforce(egress("x/a-to-yc", labels("pod=a"),
                rule(List.of(podsInNamespaces(labels("pod=c"), labels("ns=y"))), List.of(tcp(80)))));
        assertThat(lab.tcpAnswer("x/a", CLUSTER_IP, 80)).as("a selector of the backend pod matches").isEqualTo("y/c");

        // and on the backend's side: ingress of y/c sees x/a's address (no SNAT)
        lab.enforce(ingress("y/c-from-xb", labels("pod=c"), peers(podsInNamespaces(labels("pod=b"), labels("ns=x")))));
        assertThat(lab.tcpAnswer("x/a", CLUSTER_IP, 80)).isNull();
        assertThat(lab.tcpAnswer("x/b", CLUSTER_IP, 80)).isEqualTo("y/c");
    }
}
