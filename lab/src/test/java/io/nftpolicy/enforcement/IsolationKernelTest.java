package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.allowAll;
import static io.nftpolicy.testing.Policies.denyAll;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.peers;
import static io.nftpolicy.testing.Policies.podsInNamespaces;
import static io.nftpolicy.testing.Policies.policy;
import static io.nftpolicy.testing.Policies.ports;
import static io.nftpolicy.testing.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.lab.LabException;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.Policies;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Who is isolated, in which direction, and what an isolated pod is allowed: semantics.md "Isolation" and "Empty vs
 * absent" (spec.ingress/spec.egress, from/to absent, ports absent), on the upstream model (see {@link UpstreamModel}).
 */
class IsolationKernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint TCP81 = Endpoint.tcp(81);
    private static final Endpoint UDP80 = Endpoint.udp(80);
    private static final Endpoint UDP81 = Endpoint.udp(81);

    @Test
    void withoutPoliciesEveryPodReachesEveryPodOnEveryServedEndpoint() {
        lab.check(expect(TCP80), expect(TCP81), expect(UDP80), expect(UDP81));
    }

    @Test
    void defaultDenyIngressInXBlocksEverythingIntoXAndNothingOutOfX() throws LabException {
        lab.enforce(ingress("x/deny-ingress", all()));

        lab.checkTable("""
                TCP/80 IPv4
                -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
                x/a .   X   X   .   .   .   .   .   .
                x/b X   .   X   .   .   .   .   .   .
                x/c X   X   .   .   .   .   .   .   .
                y/a X   X   X   .   .   .   .   .   .
                y/b X   X   X   .   .   .   .   .   .
                y/c X   X   X   .   .   .   .   .   .
                z/a X   X   X   .   .   .   .   .   .
                z/b X   X   X   .   .   .   .   .   .
                z/c X   X   X   .   .   .   .   .   .

                UDP/81 IPv4
                -   x/a x/b x/c y/a y/b y/c z/a z/b z/c
                x/a .   X   X   .   .   .   .   .   .
                x/b X   .   X   .   .   .   .   .   .
                x/c X   X   .   .   .   .   .   .   .
                y/a X   X   X   .   .   .   .   .   .
                y/b X   X   X   .   .   .   .   .   .
                y/c X   X   X   .   .   .   .   .   .
                z/a X   X   X   .   .   .   .   .   .
                z/b X   X   X   .   .   .   .   .   .
                z/c X   X   X   .   .   .   .   .   .
                """);
    }

    @Test
    void defaultDenyEgressInXBlocksEverythingOutOfXAndNothingIntoX() throws LabException {
        lab.enforce(egress("x/deny-egress", all()));

        lab.check(expect(TCP80).denyFrom("x/*"), expect(UDP80).denyFrom("x/*"));
    }

    @Test
    void denyAllInBothDirectionsCutsXOffCompletely() throws LabException {
        lab.enforce(denyAll("x/deny-all", all()));

        lab.check(expect(TCP80).denyFrom("x/*").denyTo("x/*"), expect(UDP81).denyFrom("x/*").denyTo("x/*"));
    }

    @Test
    void allowAllIngressStackedOnDenyAllIngressRestoresConnectivityBecausePoliciesAreAUnion() throws LabException {
        // Named so that the allowing policy sorts first and the denying one last: order must not matter.
        lab.enforce(ingress("x/a-allow-all", all(), allowAll()), ingress("x/z-deny-all", all()));

        lab.check(expect(TCP80), expect(UDP80));
    }

    @Test
    void stackedPoliciesSelectingOnePodAllowTheUnionOfTheirRules() throws LabException {
        lab.enforce(
                ingress("x/from-y", labels("pod=a"), peers(namespaces(labels("ns=y")))),
                ingress("x/from-zc", labels("pod=a"), peers(podsInNamespaces(labels("pod=c"), labels("ns=z")))));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/*", "z/c"));
    }

    @Test
    void egressIsolationOfAPodDoesNotBlockItsIngressAndIngressIsolationDoesNotBlockEgress() throws LabException {
        lab.enforce(egress("x/a-no-egress", labels("pod=a")), ingress("x/b-no-ingress", labels("pod=b")));

        lab.check(expect(TCP80).denyFrom("x/a").denyTo("x/b"), expect(UDP81).denyFrom("x/a").denyTo("x/b"));
    }

    @Test
    void onePolicyWithIngressAndEgressRulesIsolatesAndAllowsEachDirectionByItsOwnRules() throws LabException {
        lab.enforce(policy("x/a-both", labels("pod=a"), List.of("Ingress", "Egress"),
                List.of(peers(namespaces(labels("ns=y")))), List.of(peers(namespaces(labels("ns=z"))))));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/*").denyFrom("x/a").allowFrom("x/a", "z/*"));
    }

    @Test
    void podToPodOnOneNodeNeedsEgressAtTheSourceAndIngressAtTheDestination() throws LabException {
        // x/a, y/a, y/b and z/a share node-1: this traffic is bridged.
        lab.enforce(
                egress("x/a-to-ya-yb", labels("pod=a"),
                        peers(podsInNamespaces(labels("pod=b"), labels("ns=y")),
                                podsInNamespaces(labels("pod=a"), labels("ns=y")))),
                ingress("y/b-from-zc", labels("pod=b"), peers(podsInNamespaces(labels("pod=c"), labels("ns=z")))),
                ingress("y/a-from-xa", labels("pod=a"), peers(podsInNamespaces(labels("pod=a"), labels("ns=x")))));

        Expect tcp80 = expect(TCP80)
                .denyFrom("x/a").allowFrom("x/a", "y/a", "y/b") // egress of x/a
                .denyTo("y/b").allowTo("y/b", "z/c")            // ingress of y/b: x/a is not among its sources
                .denyTo("y/a").allowTo("y/a", "x/a");           // ingress of y/a: both sides agree on x/a
        assertThat(tcp80.allowed("x/a", "y/b")).isFalse();
        assertThat(tcp80.allowed("x/a", "y/a")).isTrue();
        lab.check(tcp80);
    }

    @Test
    void podToPodAcrossNodesNeedsEgressAtTheSourceAndIngressAtTheDestination() throws LabException {
        // x/a is on node-1, y/c and z/b on node-2: routed over flannel.1, through both nodes' forward hooks.
        lab.enforce(
                egress("x/a-to-yc-zb", labels("pod=a"),
                        peers(podsInNamespaces(labels("pod=c"), labels("ns=y")),
                                podsInNamespaces(labels("pod=b"), labels("ns=z")))),
                ingress("y/c-from-za", labels("pod=c"), peers(podsInNamespaces(labels("pod=a"), labels("ns=z")))),
                ingress("z/b-from-xa", labels("pod=b"), peers(podsInNamespaces(labels("pod=a"), labels("ns=x")))));

        Expect tcp80 = expect(TCP80)
                .denyFrom("x/a").allowFrom("x/a", "y/c", "z/b")
                .denyTo("y/c").allowTo("y/c", "z/a")
                .denyTo("z/b").allowTo("z/b", "x/a");
        assertThat(tcp80.allowed("x/a", "y/c")).isFalse();
        assertThat(tcp80.allowed("x/a", "z/b")).isTrue();
        lab.check(tcp80);
    }

    @Test
    void repliesOfAnAllowedConnectionPassThoughTheReplyingPodHasNoEgress() throws LabException {
        // x/a accepts only x/b (same node) and y/c (other node) and may send nothing at all: their connections
        // still work, TCP and UDP, because the answers belong to connections x/a accepted (stateful).
        lab.enforce(
                ingress("x/a-from-xb-yc", labels("pod=a"), peers(Policies.pods(labels("pod=b")),
                        podsInNamespaces(labels("pod=c"), labels("ns=y")))),
                egress("x/a-no-egress", labels("pod=a")));

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "x/b", "y/c").denyFrom("x/a"),
                expect(UDP80).denyTo("x/a").allowTo("x/a", "x/b", "y/c").denyFrom("x/a"));
    }

    @Test
    void policyTypesAbsentWithoutEgressRulesIsolatesForIngressOnly() throws LabException {
        lab.enforce(policy("x/no-types", all(), List.of(), List.of(), List.of()));

        lab.check(expect(TCP80).denyTo("x/*"));
    }

    @Test
    void policyTypesAbsentWithEgressRulesIsolatesForIngressAndEgress() throws LabException {
        // Egress rules present: defaulted to [Ingress, Egress]. Ingress isolated with no rules; egress only to y.
        lab.enforce(policy("x/no-types", all(), List.of(), List.of(), List.of(peers(namespaces(labels("ns=y"))))));

        lab.check(expect(TCP80).denyTo("x/*").denyFrom("x/*").allowFrom("x/*", "y/*"));
    }

    @Test
    void ingressAbsentOrEmptyAllowsNothingWhileOneEmptyRuleAllowsEverything() throws LabException {
        // The model cannot tell spec.ingress absent from []: both are an empty list, and both allow nothing.
        lab.enforce(policy("x/ingress-empty", labels("pod=a"), List.of("Ingress"), List.of(), List.of()),
                policy("x/ingress-empty-rule", labels("pod=b"), List.of("Ingress"), List.of(allowAll()), List.of()));

        lab.check(expect(TCP80).denyTo("x/a"), expect(UDP81).denyTo("x/a"));
    }

    @Test
    void egressAbsentOrEmptyAllowsNothingWhileOneEmptyRuleAllowsEverything() throws LabException {
        lab.enforce(policy("x/egress-empty", labels("pod=a"), List.of("Egress"), List.of(), List.of()),
                policy("x/egress-empty-rule", labels("pod=b"), List.of("Egress"), List.of(), List.of(allowAll())));

        lab.check(expect(TCP80).denyFrom("x/a"), expect(UDP81).denyFrom("x/a"));
    }

    @Test
    void aRuleWithoutFromAllowsEveryPeerOnItsPorts() throws LabException {
        lab.enforce(ingress("x/tcp80-from-anyone", labels("pod=a"), ports(tcp(80))));

        lab.check(expect(TCP80), expect(TCP81).denyTo("x/a"), expect(UDP80).denyTo("x/a"));
    }

    @Test
    void aRuleWithoutToAllowsEveryDestinationOnItsPorts() throws LabException {
        lab.enforce(egress("x/tcp80-to-anyone", labels("pod=a"), ports(tcp(80))));

        lab.check(expect(TCP80), expect(TCP81).denyFrom("x/a"), expect(UDP80).denyFrom("x/a"));
    }

    @Test
    void aRuleWithoutPortsAllowsEveryPortOfEveryProtocol() throws LabException {
        lab.enforce(ingress("x/from-y", labels("pod=a"), peers(namespaces(labels("ns=y")))));

        Expect[] all = List.of(TCP80, Endpoint.tcp(81), Endpoint.tcp(82), UDP80, UDP81).stream()
                .map(e -> expect(e).denyTo("x/a").allowTo("x/a", "y/*"))
                .toArray(Expect[]::new);
        lab.check(all);
    }

    @Test
    void trafficFromThePodsOwnNodeIsAlwaysAllowedEvenUnderDenyAll() throws LabException {
        lab.enforce(denyAll("x/deny-all", all()), denyAll("y/deny-all", all()), denyAll("z/deny-all", all()));

        for (String pod : List.of("x/a", "y/b", "z/a")) {
            assertThat(lab.connects("node/node-1", pod, TCP80)).as("node-1 -> " + pod + " TCP").isTrue();
            assertThat(lab.connects("node/node-1", pod, UDP81)).as("node-1 -> " + pod + " UDP").isTrue();
        }
        for (String pod : List.of("x/c", "y/c", "z/c")) {
            assertThat(lab.connects("node/node-2", pod, TCP81)).as("node-2 -> " + pod + " TCP").isTrue();
            assertThat(lab.connects("node/node-2", pod, UDP80)).as("node-2 -> " + pod + " UDP").isTrue();
        }
        // What this project does with the OTHER node's traffic (not kubelet's): it is an address like any other,
        // so deny-all ingress blocks it (an ipBlock can allow it, see LifecycleKernelTest's hostNetwork tests).
        assertThat(lab.connects("node/node-2", "x/a", TCP80)).as("node-2 -> x/a").isFalse();
        // and the pods themselves are cut off
        lab.check(expect(TCP80).denyAll());
    }
}
