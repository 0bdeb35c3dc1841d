package io.nftpolicy.compile;

import static io.nftpolicy.compile.Clusters.cluster;
import static io.nftpolicy.compile.Clusters.egress;
import static io.nftpolicy.compile.Clusters.ingress;
import static io.nftpolicy.compile.Clusters.labels;
import static io.nftpolicy.compile.Clusters.pod;
import static io.nftpolicy.compile.Clusters.selector;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import java.util.Optional;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What the compiled ruleset of a node contains, read through the model (the kernel tests prove the verdicts). */
class PolicyCompilerTest {
    private final PolicyCompiler compiler = new PolicyCompiler();

    private static final PolicyRule FROM_FRONTEND_TCP_80 =
            new PolicyRule(List.of(PolicyPeer.pods(selector("role=frontend"))), List.of(PolicyPort.tcp(80)));

    private static Clusters twoNodes() {
        return cluster().namespace("dev")
                .pod("dev/db", "n1", "10.244.1.5", "role=db")
                .pod("dev/fe", "n1", "10.244.1.6", "role=frontend")
                .pod("dev/fe2", "n2", "10.244.2.6", "role=frontend")
                .pod("dev/db2", "n2", "10.244.2.5", "role=db");
    }

    @Test
    void podsNoPolicySelectsAreNotDispatched() {
        Ruleset rs = compile(twoNodes().snapshot(), "n1");
        assertThat(rs.maps()).allSatisfy(m -> assertThat(m.elements()).isEmpty());
    }

    @Test
    void onlyThisNodesSelectedPodsAreDispatched() {
        Ruleset rs = compile(twoNodes().policy(ingress("dev/db", selector("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        assertThat(map(rs, "ingress-v4").elements()).extracting(MapElement::comment).containsExactly("dev/db");
        assertThat(map(rs, "egress-v4").elements()).isEmpty();
    }

    @Test
    void selectorPeersResolveToPodsOnEveryNode() {
        Ruleset rs = compile(twoNodes().policy(ingress("dev/db", selector("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "10.244.1.5", "ingress-v4")))
                .containsExactly("10.244.1.6 . tcp . 80", "10.244.2.6 . tcp . 80");
    }

    @Test
    void policyTypesAbsentWithEgressRulesIsolatesBothDirections() {
        NetworkPolicy noTypes = new NetworkPolicy("dev", "p", selector("role=db"), List.of(),
                List.of(), List.of(PolicyRule.allowAll()));
        Ruleset rs = compile(twoNodes().policy(noTypes).snapshot(), "n1");
        assertThat(map(rs, "ingress-v4").elements()).hasSize(1);
        assertThat(map(rs, "egress-v4").elements()).hasSize(1);
    }

    @Test
    void policyTypesAbsentWithoutEgressRulesIsolatesIngressOnly() {
        NetworkPolicy noTypes = new NetworkPolicy("dev", "p", selector("role=db"), List.of(), List.of(), List.of());
        Ruleset rs = compile(twoNodes().policy(noTypes).snapshot(), "n1");
        assertThat(map(rs, "ingress-v4").elements()).hasSize(1);
        assertThat(map(rs, "egress-v4").elements()).isEmpty();
    }

    @Test
    void emptyRuleListIsolatesWithoutAllowingAnything() {
        Ruleset rs = compile(twoNodes().policy(ingress("dev/deny", LabelSelector.all())).snapshot(), "n1");
        Chain chain = chainOf(rs, "10.244.1.5", "ingress-v4");
        assertThat(chain.rules()).extracting(r -> r.statement()).containsExactly("drop");
    }

    @Test
    void ruleWithoutPeersOrPortsAllowsEveryAddressOfBothFamilies() {
        Ruleset rs = compile(twoNodes().policy(ingress("dev/all", LabelSelector.all(), PolicyRule.allowAll())).snapshot(), "n1");
        Chain chain = chainOf(rs, "10.244.1.5", "ingress-v4");
        assertThat(setsUsedBy(rs, chain)).extracting(s -> keys(s))
                .containsExactlyInAnyOrder(List.of("0.0.0.0/0"), List.of("::/0"));
    }

    @Test
    void aRuleWithoutPeersButWithPortsAllowsEveryAddressOnThosePorts() {
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.of("UDP", 53)));
        Ruleset rs = compile(twoNodes().policy(ingress("dev/dns", LabelSelector.all(), rule)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "10.244.1.5", "ingress-v4"))).containsExactly("0.0.0.0/0 . udp . 53");
    }

    @Test
    void portEntryWithoutPortOrProtocolMeansEveryTcpPort() {
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.pods(selector("role=frontend"))),
                List.of(new PolicyPort(Optional.empty(), Optional.empty(), Optional.empty())));
        Ruleset rs = compile(twoNodes().policy(ingress("dev/p", selector("role=db"), rule)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "10.244.1.5", "ingress-v4")))
                .containsExactly("10.244.1.6 . tcp . 0-65535", "10.244.2.6 . tcp . 0-65535");
    }

    @Test
    void sctpOnlyPolicyNeverOpensTcp() {
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.of("SCTP", 80)));
        Ruleset rs = compile(twoNodes().policy(ingress("dev/sctp", selector("role=db"), rule)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "10.244.1.5", "ingress-v4"))).containsExactly("0.0.0.0/0 . sctp . 80");
    }

    @Test
    void endPortBecomesOneInclusiveRange() {
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.range("TCP", 8000, 8080)));
        Ruleset rs = compile(twoNodes().policy(ingress("dev/r", selector("role=db"), rule)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "10.244.1.5", "ingress-v4"))).containsExactly("0.0.0.0/0 . tcp . 8000-8080");
    }

    @Test
    void ipBlockExceptIsCarvedOutAsDisjointRanges() {
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.ipBlock("172.17.0.0/16", "172.17.1.0/24")), List.of());
        Ruleset rs = compile(twoNodes().policy(ingress("dev/b", selector("role=db"), rule)).snapshot(), "n1");
        Chain chain = chainOf(rs, "10.244.1.5", "ingress-v4");
        assertThat(setsUsedBy(rs, chain)).singleElement().extracting(s -> keys(s))
                .isEqualTo(List.of("172.17.0.0/24", "172.17.2.0-172.17.255.255"));
    }

    @Test
    void exceptOfOnePeerDoesNotRemoveWhatAnotherPeerAllows() {
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.ipBlock("10.244.0.0/16", "10.244.2.0/24"),
                PolicyPeer.pods(selector("role=frontend"))), List.of());
        Ruleset rs = compile(twoNodes().policy(ingress("dev/b", selector("role=db"), rule)).snapshot(), "n1");
        Chain chain = chainOf(rs, "10.244.1.5", "ingress-v4");
        List<String> keys = keys(setsUsedBy(rs, chain).get(0));
        assertThat(keys).contains("10.244.2.6");
    }

    @Test
    void ingressNamedPortResolvesOnTheSelectedPod() {
        Clusters c = cluster().namespace("dev")
                .add(pod("dev/a", "n1", List.of("10.244.1.2"), labels("app=web"), List.of(ContainerPort.named("http", 8080, Protocol.TCP))))
                .add(pod("dev/b", "n1", List.of("10.244.1.3"), labels("app=web"), List.of(ContainerPort.named("http", 9090, Protocol.TCP))));
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.named("TCP", "http")));
        Ruleset rs = compile(c.policy(ingress("dev/web", selector("app=web"), rule)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "10.244.1.2", "ingress-v4"))).containsExactly("0.0.0.0/0 . tcp . 8080");
        assertThat(keys(portSetOf(rs, "10.244.1.3", "ingress-v4"))).containsExactly("0.0.0.0/0 . tcp . 9090");
    }

    @Test
    void namedPortMustMatchProtocolToo() {
        Clusters c = cluster().namespace("dev")
                .add(pod("dev/a", "n1", List.of("10.244.1.2"), labels("app=web"), List.of(ContainerPort.named("dns", 53, Protocol.UDP))));
        PolicyRule rule = new PolicyRule(List.of(), List.of(PolicyPort.named("TCP", "dns")));
        Ruleset rs = compile(c.policy(ingress("dev/web", selector("app=web"), rule)).snapshot(), "n1");
        assertThat(chainOf(rs, "10.244.1.2", "ingress-v4").rules()).extracting(r -> r.statement()).containsExactly("drop");
    }

    @Test
    void egressNamedPortResolvesOnEachDestinationPod() {
        Clusters c = cluster().namespace("dev")
                .add(pod("dev/client", "n1", List.of("10.244.1.2"), labels("app=client"), List.of()))
                .add(pod("dev/s1", "n1", List.of("10.244.1.3"), labels("app=server"), List.of(ContainerPort.named("http", 8080, Protocol.TCP))))
                .add(pod("dev/s2", "n2", List.of("10.244.2.3"), labels("app=server"), List.of(ContainerPort.named("http", 80, Protocol.TCP))));
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.pods(selector("app=server"))), List.of(PolicyPort.named("TCP", "http")));
        Ruleset rs = compile(c.policy(egress("dev/out", selector("app=client"), rule)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "10.244.1.2", "egress-v4")))
                .containsExactly("10.244.1.3 . tcp . 8080", "10.244.2.3 . tcp . 80");
    }

    @Test
    void egressNamedPortNeverMatchesAnIpBlock() {
        Clusters c = twoNodes();
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.ipBlock("10.0.0.0/8")), List.of(PolicyPort.named("TCP", "http")));
        Ruleset rs = compile(c.policy(egress("dev/out", selector("role=db"), rule)).snapshot(), "n1");
        assertThat(chainOf(rs, "10.244.1.5", "egress-v4").rules()).extracting(r -> r.statement()).containsExactly("drop");
    }

    @Test
    void hostNetworkFinishedAndTerminatingPodsAreNeitherSubjectsNorPeers() {
        Clusters c = twoNodes()
                .add(new Pod("dev", "host", labels("role=frontend"), "n1", true, PodPhase.RUNNING, false, List.of("192.168.0.1"), List.of()))
                .add(new Pod("dev", "done", labels("role=frontend"), "n1", false, PodPhase.SUCCEEDED, false, List.of("10.244.1.9"), List.of()))
                .add(new Pod("dev", "going", labels("role=frontend"), "n2", false, PodPhase.RUNNING, true, List.of("10.244.2.9"), List.of()))
                .add(new Pod("dev", "failed-db", labels("role=db"), "n1", false, PodPhase.FAILED, false, List.of("10.244.1.10"), List.of()));
        Ruleset rs = compile(c.policy(ingress("dev/db", selector("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "10.244.1.5", "ingress-v4")))
                .containsExactly("10.244.1.6 . tcp . 80", "10.244.2.6 . tcp . 80");
        assertThat(map(rs, "ingress-v4").elements()).extracting(MapElement::comment).containsExactly("dev/db");
    }

    @Test
    void dualStackPodsAreDispatchedAndAllowedInBothFamilies() {
        Clusters c = cluster().namespace("dev")
                .add(pod("dev/db", "n1", List.of("10.244.1.5", "fd00:10:244:1::5"), labels("role=db"), List.of()))
                .add(pod("dev/fe", "n2", List.of("10.244.2.6", "fd00:10:244:2::6"), labels("role=frontend"), List.of()));
        Ruleset rs = compile(c.policy(ingress("dev/db", selector("role=db"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        assertThat(keys(portSetOf(rs, "fd00:10:244:1::5", "ingress-v6"))).containsExactly("fd00:10:244:2::6 . tcp . 80");
        assertThat(keys(portSetOf(rs, "10.244.1.5", "ingress-v4"))).containsExactly("10.244.2.6 . tcp . 80");
    }

    @Test
    void aPodSelectedByManyPoliciesStillCostsAConstantNumberOfRules() {
        Clusters c = twoNodes();
        for (int i = 0; i < 30; i++) {
            PolicyRule rule = new PolicyRule(List.of(PolicyPeer.pods(selector("role=frontend"))), List.of(PolicyPort.tcp(1000 + i)));
            c.policy(ingress("dev/p" + i, selector("role=db"), rule));
        }
        Chain chain = chainOf(compile(c.snapshot(), "n1"), "10.244.1.5", "ingress-v4");
        assertThat(chain.rules()).hasSizeLessThanOrEqualTo(5);
    }

    @Test
    void overlappingAllowancesBecomeDisjointElementsThatNameEverySource() {
        Clusters c = twoNodes()
                .policy(ingress("dev/a", selector("role=db"), FROM_FRONTEND_TCP_80))
                .policy(ingress("dev/b", selector("role=db"), new PolicyRule(List.of(PolicyPeer.ipBlock("10.244.2.0/24")),
                        List.of(PolicyPort.range("TCP", 80, 90)))));
        NamedSet set = portSetOf(compile(c.snapshot(), "n1"), "10.244.1.5", "ingress-v4");
        SetElement shared = set.elements().stream().filter(e -> e.keyToNft().equals("10.244.2.6 . tcp . 80")).findFirst().orElseThrow();
        assertThat(shared.sources()).extracting(Object::toString)
                .containsExactly("dev/a ingress[0].from[0]", "dev/b ingress[0].from[0]");
        assertThat(keys(set)).doesNotHaveDuplicates();
    }

    @Test
    void invalidPolicyIsReportedAndItsPodsStayIsolated() {
        PolicyRule bad = new PolicyRule(List.of(PolicyPeer.ipBlock("10.0.0.0/33")), List.of());
        Compilation result = compiler.compile(twoNodes()
                .policy(ingress("dev/broken", selector("role=db"), bad))
                .policy(ingress("dev/fine", selector("role=frontend"), FROM_FRONTEND_TCP_80)).snapshot(), "n1");
        assertThat(result.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.object()).isEqualTo("dev/broken");
            assertThat(d.field()).isEqualTo("spec.ingress[0].from[0].ipBlock.cidr");
            assertThat(d.format()).contains("stay isolated for ingress");
        });
        assertThat(chainOf(result.ruleset(), "10.244.1.5", "ingress-v4").rules()).extracting(r -> r.statement())
                .containsExactly("drop");
        assertThat(keys(portSetOf(result.ruleset(), "10.244.1.6", "ingress-v4"))).isNotEmpty();
    }

    @Test
    void sameSnapshotInAnyOrderRendersByteIdentical() {
        ClusterSnapshot snapshot = twoNodes()
                .policy(ingress("dev/a", selector("role=db"), FROM_FRONTEND_TCP_80))
                .policy(egress("dev/b", selector("role=frontend"), new PolicyRule(List.of(PolicyPeer.ipBlock("10.0.0.0/8", "10.1.0.0/16")), List.of())))
                .snapshot();
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        List<NetworkPolicy> policies = new ArrayList<>(snapshot.policies());
        Collections.shuffle(pods, new Random(7));
        Collections.reverse(policies);
        ClusterSnapshot shuffled = new ClusterSnapshot(snapshot.namespaces(), pods, policies);
        assertThat(NftRenderer.render(compile(shuffled, "n1"))).isEqualTo(NftRenderer.render(compile(snapshot, "n1")));
    }

    @Test
    void aNewPeerPodChangesElementsButNoChainOrSetName() {
        Clusters before = twoNodes().policy(ingress("dev/a", selector("role=db"), FROM_FRONTEND_TCP_80));
        Ruleset first = compile(before.snapshot(), "n1");
        Ruleset second = compile(before.pod("dev/fe3", "n2", "10.244.2.9", "role=frontend").snapshot(), "n1");
        assertThat(second.chains()).isEqualTo(first.chains());
        assertThat(second.sets()).extracting(NamedSet::name).isEqualTo(first.sets().stream().map(NamedSet::name).toList());
        assertThat(second.elementCount()).isEqualTo(first.elementCount() + 1);
    }

    @Test
    void namespaceSelectorPeerMatchesByTheImplicitNameLabel() {
        Clusters c = cluster().namespace("dev").namespace("ops")
                .pod("dev/db", "n1", "10.244.1.5", "role=db")
                .pod("ops/tool", "n2", "10.244.2.8", "app=tool");
        PolicyRule rule = new PolicyRule(List.of(PolicyPeer.namespaces(selector("kubernetes.io/metadata.name=ops"))), List.of());
        Ruleset rs = compile(c.policy(ingress("dev/p", selector("role=db"), rule)).snapshot(), "n1");
        assertThat(setsUsedBy(rs, chainOf(rs, "10.244.1.5", "ingress-v4"))).singleElement()
                .extracting(s -> keys(s)).isEqualTo(List.of("10.244.2.8"));
    }

    @Test
    void podAndNamespaceSelectorInOnePeerAreAnded() {
        Clusters c = cluster().namespace("dev").namespace("ops", "team=ops")
                .pod("dev/db", "n1", "10.244.1.5", "role=db")
                .pod("dev/fe", "n1", "10.244.1.6", "role=frontend")
                .pod("ops/fe", "n2", "10.244.2.6", "role=frontend")
                .pod("ops/other", "n2", "10.244.2.7", "role=other");
        PolicyRule and = new PolicyRule(List.of(PolicyPeer.podsInNamespaces(selector("role=frontend"), selector("team=ops"))), List.of());
        Ruleset rs = compile(c.policy(ingress("dev/p", selector("role=db"), and)).snapshot(), "n1");
        assertThat(setsUsedBy(rs, chainOf(rs, "10.244.1.5", "ingress-v4"))).singleElement()
                .extracting(s -> keys(s)).isEqualTo(List.of("10.244.2.6"));
    }

    @Test
    void separatePodAndNamespacePeersAreOred() {
        Clusters c = cluster().namespace("dev").namespace("ops", "team=ops")
                .pod("dev/db", "n1", "10.244.1.5", "role=db")
                .pod("dev/fe", "n1", "10.244.1.6", "role=frontend")
                .pod("ops/other", "n2", "10.244.2.7", "role=other");
        PolicyRule or = new PolicyRule(List.of(PolicyPeer.pods(selector("role=frontend")), PolicyPeer.namespaces(selector("team=ops"))), List.of());
        Ruleset rs = compile(c.policy(ingress("dev/p", selector("role=db"), or)).snapshot(), "n1");
        assertThat(setsUsedBy(rs, chainOf(rs, "10.244.1.5", "ingress-v4"))).singleElement()
                .extracting(s -> keys(s)).isEqualTo(List.of("10.244.1.6", "10.244.2.7"));
    }

    @Test
    void egressChainsReturnSoThatIngressIsStillChecked() {
        Clusters c = twoNodes().policy(egress("dev/e", selector("role=frontend"), PolicyRule.allowAll()));
        Chain chain = chainOf(compile(c.snapshot(), "n1"), "10.244.1.6", "egress-v4");
        assertThat(chain.rules()).extracting(r -> r.statement()).allSatisfy(s -> assertThat(s).doesNotContain("accept"));
        assertThat(chain.rules().get(0).statement()).endsWith(" return");
    }

    private Ruleset compile(ClusterSnapshot snapshot, String node) {
        Compilation result = compiler.compile(snapshot, node);
        assertThat(result.diagnostics()).isEmpty();
        return result.ruleset();
    }

    private static io.nftpolicy.ruleset.VerdictMap map(Ruleset rs, String name) {
        return rs.maps().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    private static Chain chainOf(Ruleset rs, String podIp, String mapName) {
        String chain = map(rs, mapName).elements().stream().filter(e -> e.key().toString().equals(podIp))
                .findFirst().orElseThrow(() -> new AssertionError(podIp + " not in " + mapName)).chain();
        return rs.chains().stream().filter(c -> c.name().equals(chain)).findFirst().orElseThrow();
    }

    private static List<NamedSet> setsUsedBy(Ruleset rs, Chain chain) {
        return rs.sets().stream()
                .filter(s -> chain.rules().stream().anyMatch(r -> r.statement().contains("@" + s.name() + " ")))
                .toList();
    }

    private static NamedSet portSetOf(Ruleset rs, String podIp, String mapName) {
        String family = mapName.substring(mapName.length() - 2);
        return setsUsedBy(rs, chainOf(rs, podIp, mapName)).stream()
                .filter(s -> s.keyType().size() == 3 && s.name().endsWith(family))
                .findFirst().orElseThrow(() -> new AssertionError("no port set for " + podIp));
    }

    private static List<String> keys(NamedSet set) {
        return set.elements().stream().map(SetElement::keyToNft).collect(Collectors.toList());
    }

}
