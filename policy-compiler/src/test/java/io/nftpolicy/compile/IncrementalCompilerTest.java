package io.nftpolicy.compile;

import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.policy;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.testing.Clusters;
import io.nftpolicy.testing.PodFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What {@link IncrementalCompiler} reuses from one snapshot to the next, and that it always agrees with
 * {@link PolicyCompiler}. {@link IncrementalCompilerPropertyTest} checks the same over random edit sequences.
 */
class IncrementalCompilerTest {
    private static final String NODE = "n1";
    private static final PolicyRule FROM_FRONTEND_TCP_80 =
            new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of(PolicyPort.tcp(80)));
    private static final PolicyRule FROM_OPS_NAMESPACES =
            new PolicyRule(List.of(PolicyPeer.namespaces(labels("team=ops"))), List.of());

    private final IncrementalCompiler compiler = new IncrementalCompiler(NODE);

    /** Two namespaces; dev/db (local) admits frontends of dev on port 80 and every pod of namespaces of team ops. */
    private static ClusterSnapshot cluster() {
        return Clusters.cluster().namespace("dev", "team=dev").namespace("ops", "team=ops")
                .pod("dev/db", NODE, "10.0.1.5", "role=db")
                .pod("dev/web", NODE, "10.0.1.6", "role=web")
                .pod("dev/fe", "n2", "10.0.2.6", "role=frontend")
                .pod("dev/cache", "n2", "10.0.2.7", "role=cache")
                .pod("ops/monitor", "n2", "10.0.2.8", "role=monitor")
                .policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80, FROM_OPS_NAMESPACES))
                .policy(ingress("dev/web", labels("role=web"), FROM_FRONTEND_TCP_80))
                .snapshot();
    }

    /** An edit of {@link #cluster()}. */
    private static Clusters edit() {
        return Clusters.cluster(cluster());
    }

    @Test
    void compilingTheSameSnapshotAgainReturnsTheSameRuleset() {
        Ruleset first = compile(cluster());
        assertThat(compile(cluster())).isSameAs(first);
    }

    @Test
    void withAClusterPolicyANewNetworkPolicyOnALocalPodMovesItsElementAfterTheAdminTier() {
        List<io.nftpolicy.policy.ClusterNetworkPolicy> guard = List.of(new io.nftpolicy.policy.ClusterNetworkPolicy(
                "guard", "Admin", 10, io.nftpolicy.policy.ClusterNetworkPolicy.Subject.ofNamespaces(labels("team=dev")),
                List.of(io.nftpolicy.policy.ClusterNetworkPolicy.Rule.of("Pass", List.of(
                        io.nftpolicy.policy.ClusterNetworkPolicy.Peer.namespaces(labels("team=ops"))))), List.of()));
        String before = afterAdminTier(compile(cluster().withTiers(guard, List.of())), "10.0.1.6");
        ClusterSnapshot next = edit().policy(ingress("dev/web-from-ops", labels("role=web"), FROM_OPS_NAMESPACES))
                .snapshot().withTiers(guard, List.of());

        Ruleset after = compile(next);

        assertThat(after).isEqualTo(new PolicyCompiler().compile(next, NODE).ruleset());
        assertThat(afterAdminTier(after, "10.0.1.6")).startsWith("ing-").isNotEqualTo(before);
    }

    /** The chain the cnp-next-ingress-v4 element of the address names. */
    private static String afterAdminTier(Ruleset ruleset, String address) {
        return ruleset.maps().stream().filter(m -> m.name().equals("cnp-next-ingress-v4")).findFirst().orElseThrow()
                .elements().stream().filter(e -> e.key().toString().equals(address)).findFirst().orElseThrow().chain();
    }

    @Test
    void aLabelChangeOnAPodNoPeerSelectsReturnsEverySetAndChainUnchangedByIdentity() {
        Ruleset before = compile(cluster());
        Ruleset after = compile(edit().relabel("dev/cache", "role=cache-v2").snapshot());
        assertThat(after.sets()).containsExactlyElementsOf(before.sets()).allSatisfy(s -> assertThat(s).isSameAs(
                before.sets().get(after.sets().indexOf(s))));
        assertThat(after).isSameAs(before);
    }

    @Test
    void aPodJoiningAPeerChangesThatPeersSetAndNothingElse() {
        Ruleset before = compile(cluster());
        Ruleset after = compile(edit().relabel("dev/cache", "role=frontend").snapshot());
        assertThat(changedNames(before, after)).containsExactly(peerSetOf(before, "dev/fe"));
        assertThat(set(after, peerSetOf(before, "dev/fe")).elements()).extracting(e -> e.comment())
                .containsExactlyInAnyOrder("dev/fe", "dev/cache");
    }

    @Test
    void aPodAddedOnAnotherNodeChangesOnlyTheSetsOfThePeersItJoins() {
        Ruleset before = compile(cluster());
        Ruleset after = compile(edit().pod(pod("ops/probe").on("n2").ips("10.0.2.9").labels("role=probe")).snapshot());
        assertThat(changedNames(before, after)).containsExactly(peerSetOf(before, "ops/monitor"));
    }

    @Test
    void aLocalPodChangingItsGroupChangesTheDispatchMapButKeepsEveryChain() {
        Ruleset before = compile(cluster());
        Ruleset after = compile(edit().relabel("dev/web", "role=db").snapshot());
        assertThat(changedNames(before, after)).containsExactly("ingress-v4");
        assertThat(after.chains()).noneMatch(c -> c.name().equals(chainOf(before, "dev/web")));
        assertThat(after.chains()).allMatch(c -> before.chains().stream().anyMatch(b -> b == c));
    }

    @Test
    void aPolicyChangeRebuildsOnlyTheChainOfThePodsItSelects() {
        Ruleset before = compile(cluster());
        Ruleset after = compile(edit().changePolicy("dev/web", p -> ingress("dev/web", labels("role=web"),
                new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of(PolicyPort.tcp(8080)))))
                .snapshot());
        Set<String> changed = changedNames(before, after);
        assertThat(changed).contains(chainOf(before, "dev/web")).doesNotContain(chainOf(before, "dev/db"));
        assertThat(changed).allMatch(n -> n.equals(chainOf(before, "dev/web")) || n.startsWith("ports-"));
    }

    @Test
    void aNamespaceRelabelledIntoANamespaceSelectorBringsItsPodsIntoThePeerSet() {
        compile(cluster());
        Ruleset after = compile(edit().relabelNamespace("dev", "team=ops").snapshot());
        assertThat(set(after, peerSetOf(after, "ops/monitor")).elements()).extracting(e -> e.comment())
                .containsExactly("dev/db", "dev/web", "dev/fe", "dev/cache", "ops/monitor");
    }

    @Test
    void equalObjectsInNewInstancesAreRecognisedAsUnchanged() {
        Ruleset before = compile(cluster());
        ClusterSnapshot copy = cluster(); // every record built anew
        assertThat(copy.pods().get(0)).isNotSameAs(cluster().pods().get(0));
        assertThat(compile(copy)).isSameAs(before);
    }

    @Test
    void anAddressMovingFromOnePodToAnotherInOneSnapshotIsKeptForItsNewOwner() {
        compile(cluster());
        Ruleset after = compile(edit().withoutPod("dev/fe")
                .pod(pod("dev/fe-new").on("n2").ips("10.0.2.6").labels("role=frontend")).snapshot());
        assertThat(set(after, peerSetOf(after, "dev/fe-new")).elements()).extracting(e -> e.comment())
                .containsExactly("dev/fe-new");
    }

    @Test
    void anAddressClaimedTwiceIsReportedAndGoesToTheFirstPodByName() {
        compile(cluster());
        ClusterSnapshot clash = edit().changePod("dev/cache",
                p -> PodFixture.from(p).labels("role=frontend").ips("10.0.2.6").build()).snapshot();
        Compilation got = compiler.compile(clash);
        assertThat(got.diagnostics()).singleElement().satisfies(d -> assertThat(d.object()).isEqualTo("dev/fe"));
        assertThat(got.diagnostics()).isEqualTo(new PolicyCompiler().compile(clash, NODE).diagnostics());
    }

    @Test
    void twoPodsOfOneNameAreCompiledAsTheFullCompilerDoes() {
        compile(cluster());
        ClusterSnapshot twice = edit().pod(pod("dev/fe").on("n2").ips("10.0.2.66").labels("role=frontend")).snapshot();
        assertThat(compile(twice)).isEqualTo(new PolicyCompiler().compile(twice, NODE).ruleset());
        assertThat(compile(cluster())).isEqualTo(new PolicyCompiler().compile(cluster(), NODE).ruleset());
    }

    @Test
    void aPodThatSucceedsLeavesThePeerSetsItWasIn() {
        compile(cluster());
        Ruleset after = compile(edit().changePod("dev/fe", p -> PodFixture.from(p).phase(PodPhase.SUCCEEDED).build())
                .snapshot());
        assertThat(after.sets()).flatExtracting(NamedSet::elements).noneMatch(e -> e.comment().equals("dev/fe"));
    }

    @Test
    void anInvalidPolicyKeepsItsPodsIsolatedWithoutRulesAndItsRepairBringsTheRulesBack() {
        Ruleset valid = compile(cluster());
        Ruleset broken = compile(edit().changePolicy("dev/web", p -> policy("dev/web", labels("role=web"),
                List.of("Ingress", "Sideways"), List.of(FROM_FRONTEND_TCP_80), List.of())).snapshot());
        Chain web = broken.chains().stream().filter(c -> c.name().equals(chainOf(broken, "dev/web"))).findFirst().orElseThrow();
        assertThat(web.rules()).extracting(r -> r.statement()).containsExactly(EstablishedFlows.RESET, EstablishedFlows.DROP);
        assertThat(compile(cluster())).isEqualTo(valid);
    }

    @Test
    void theFirstIpv6PodGivesEveryPeerAnIpv6Set() {
        Ruleset before = compile(cluster());
        Ruleset after = compile(edit().pod(pod("ops/dual").on("n2").ips("10.0.2.10", "fd00::10").labels("role=probe"))
                .snapshot());
        assertThat(before.sets()).noneMatch(s -> s.name().endsWith("-v6"));
        assertThat(after.sets()).filteredOn(s -> s.name().startsWith("peer-") && s.name().endsWith("-v6"))
                .hasSize(2).anySatisfy(s -> assertThat(s.elements()).extracting(e -> e.comment()).containsExactly("ops/dual"));
    }

    /** Compiles incrementally, checking the result against a full compile of the same snapshot. */
    private Ruleset compile(ClusterSnapshot snapshot) {
        Compilation got = compiler.compile(snapshot);
        Compilation want = new PolicyCompiler().compile(snapshot, NODE);
        assertThat(got.ruleset()).isEqualTo(want.ruleset());
        assertThat(got.diagnostics()).isEqualTo(want.diagnostics());
        return got.ruleset();
    }

    /** Names of the sets, maps and chains of {@code after} that are not the very objects {@code before} holds. */
    private static Set<String> changedNames(Ruleset before, Ruleset after) {
        List<Object> old = new ArrayList<>();
        old.addAll(before.sets());
        old.addAll(before.maps());
        old.addAll(before.chains());
        List<Object> now = new ArrayList<>();
        now.addAll(after.sets());
        now.addAll(after.maps());
        now.addAll(after.chains());
        return now.stream().filter(o -> old.stream().noneMatch(b -> b == o)).map(IncrementalCompilerTest::name)
                .collect(Collectors.toCollection(java.util.TreeSet::new));
    }

    private static String name(Object o) {
        return o instanceof NamedSet s ? s.name() : o instanceof VerdictMap m ? m.name() : ((Chain) o).name();
    }

    private static String peerSetOf(Ruleset rs, String podRef) {
        return rs.sets().stream().filter(s -> s.name().startsWith("peer-"))
                .filter(s -> s.elements().stream().anyMatch(e -> e.comment().equals(podRef)))
                .findFirst().orElseThrow().name();
    }

    private static String chainOf(Ruleset rs, String podRef) {
        return rs.maps().stream().flatMap(m -> m.elements().stream()).filter(e -> e.comment().equals(podRef))
                .findFirst().orElseThrow().chain();
    }

    private static NamedSet set(Ruleset rs, String name) {
        return rs.sets().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

}
