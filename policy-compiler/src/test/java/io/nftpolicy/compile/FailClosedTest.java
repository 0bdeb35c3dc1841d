package io.nftpolicy.compile;

import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Fail-closed mode: addresses of the node's pod CIDRs that are not known pods are isolated. */
class FailClosedTest {
    private static final String NODE = "n1";

    private static final ClusterSnapshot CLUSTER = cluster()
            .namespace("dev")
            .pod("dev/db", NODE, "10.244.1.10", "app=db")
            .pod("dev/web", NODE, "10.244.1.11", "app=web")
            .pod("dev/remote", "n2", "10.244.2.10", "app=web")
            .pod(pod("dev/done").on(NODE).phase(PodPhase.SUCCEEDED).ips("10.244.1.12").labels("app=web"))
            .pod(pod("dev/host").on(NODE).hostNetwork().ips("192.168.0.1").labels("app=web"))
            .pod(pod("dev/dual").on(NODE).ips("10.244.1.13", "fd00:10:244:1::13").labels("app=web"))
            .policy(new io.nftpolicy.policy.NetworkPolicy("dev", "deny-db", labels("app=db"), List.of(),
                    List.of(), List.of()))
            .snapshot();

    private static FailClosed failClosed(String... cidrs) {
        return new FailClosed(NODE, java.util.Arrays.stream(cidrs).map(Cidr::parse).toList());
    }

    private static Compilation compile(ClusterSnapshot snapshot) {
        return new PolicyCompiler().compile(snapshot, NODE);
    }

    private static NamedSet set(Ruleset ruleset, String name) {
        return ruleset.sets().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    private static Chain chain(Ruleset ruleset, String hook) {
        return ruleset.chains().stream().filter(c -> c.hook().map(h -> h.hook().equals(hook)).orElse(false))
                .findFirst().orElseThrow();
    }

    @Test
    void theKnownSetHoldsEveryParticipatingPodOfTheNodeInsideThePodCidrIsolatedOrNot() {
        Ruleset ruleset = failClosed("10.244.1.0/24").apply(compile(CLUSTER), CLUSTER).ruleset();

        assertThat(set(ruleset, "local-pods-v4").elements())
                .extracting(e -> e.keyToNft() + " " + e.comment())
                .containsExactly("10.244.1.10 dev/db", "10.244.1.11 dev/web", "10.244.1.13 dev/dual");
        assertThat(set(ruleset, "pod-cidrs-v4").interval()).isTrue();
        assertThat(set(ruleset, "pod-cidrs-v4").elements()).extracting(SetElement::keyToNft)
                .containsExactly("10.244.1.0/24");
        assertThat(ruleset.sets()).extracting(NamedSet::name).noneMatch(n -> n.endsWith("-v6")
                && (n.startsWith("local-pods") || n.startsWith("pod-cidrs")));
    }

    @Test
    void forwardDropsUnknownSourcesAndDestinationsRightAfterTheEstablishedAndNeighbourDiscoveryAccepts() {
        Compilation compiled = compile(CLUSTER);
        Ruleset ruleset = failClosed("10.244.1.0/24", "fd00:10:244:1::/64").apply(compiled, CLUSTER).ruleset();

        List<Rule> before = chain(compiled.ruleset(), "forward").rules();
        List<Rule> after = chain(ruleset, "forward").rules();
        assertThat(after.subList(0, 2)).isEqualTo(before.subList(0, 2));
        assertThat(after.subList(2, 6)).extracting(r -> NftRenderer.renderRule(r)).containsExactly(
                "ip saddr @pod-cidrs-v4 ip saddr != @local-pods-v4 drop comment \"" + FailClosed.SOURCE_COMMENT + "\"",
                "ip daddr @pod-cidrs-v4 ip daddr != @local-pods-v4 drop comment \""
                        + FailClosed.DESTINATION_COMMENT + "\"",
                "ip6 saddr @pod-cidrs-v6 ip6 saddr != @local-pods-v6 drop comment \""
                        + FailClosed.SOURCE_COMMENT + "\"",
                "ip6 daddr @pod-cidrs-v6 ip6 daddr != @local-pods-v6 drop comment \""
                        + FailClosed.DESTINATION_COMMENT + "\"");
        assertThat(after.subList(6, after.size())).isEqualTo(before.subList(2, before.size()));
        assertThat(before.get(0).statement()).startsWith("ct state established");
        assertThat(set(ruleset, "local-pods-v6").elements()).extracting(SetElement::keyToNft)
                .containsExactly("fd00:10:244:1::13");
    }

    @Test
    void inputDropsOnlyUnknownSourcesAndNeverTheNodesOwnAddresses() {
        Ruleset ruleset = failClosed("10.244.1.0/24").apply(compile(CLUSTER), CLUSTER).ruleset();

        List<Rule> input = chain(ruleset, "input").rules();
        assertThat(input).filteredOn(r -> r.statement().contains("pod-cidrs")).extracting(Rule::statement)
                .containsExactly("ip saddr @pod-cidrs-v4 ip saddr != @local-pods-v4 fib saddr type != local drop");
        assertThat(input.indexOf(input.stream().filter(r -> r.statement().contains("pod-cidrs")).findFirst()
                .orElseThrow())).isEqualTo(2);
    }

    @Test
    void everythingElseIsTheCompilationUnchanged() {
        Compilation compiled = compile(CLUSTER);
        Compilation result = failClosed("10.244.1.0/24").apply(compiled, CLUSTER);

        assertThat(result.diagnostics()).isEqualTo(compiled.diagnostics());
        assertThat(result.ruleset().maps()).isSameAs(compiled.ruleset().maps());
        assertThat(result.ruleset().chains()).filteredOn(c -> c.hook().isEmpty())
                .containsExactlyElementsOf(compiled.ruleset().chains().stream().filter(c -> c.hook().isEmpty())
                        .toList());
        assertThat(result.ruleset().sets()).containsAll(compiled.ruleset().sets());
        assertThat(result.ruleset().sets()).extracting(NamedSet::name).isSorted();
    }

    @Test
    void unchangedInputGivesTheSameInstancesAndANewPodChangesOnlyTheKnownSet() {
        FailClosed failClosed = failClosed("10.244.1.0/24");
        Compilation compiled = compile(CLUSTER);
        Ruleset first = failClosed.apply(compiled, CLUSTER).ruleset();
        Ruleset again = failClosed.apply(compiled, CLUSTER).ruleset();

        assertThat(set(again, "local-pods-v4")).isSameAs(set(first, "local-pods-v4"));
        assertThat(chain(again, "forward")).isSameAs(chain(first, "forward"));

        ClusterSnapshot grown = cluster(CLUSTER).pod(pod("dev/new").on(NODE).ips("10.244.1.20").labels("app=other")).snapshot();
        Ruleset next = failClosed.apply(new Compilation(compiled.ruleset(), compiled.diagnostics()), grown).ruleset();
        assertThat(set(next, "local-pods-v4").elements()).extracting(SetElement::keyToNft).contains("10.244.1.20");
        assertThat(chain(next, "forward")).isSameAs(chain(first, "forward"));
        assertThat(set(next, "pod-cidrs-v4")).isSameAs(set(first, "pod-cidrs-v4"));
    }

    @Test
    void overlappingOrMissingPodCidrsAreRefused() {
        assertThatThrownBy(() -> failClosed("10.244.0.0/16", "10.244.1.0/24"))
                .hasMessageContaining("10.244.0.0/16").hasMessageContaining("10.244.1.0/24").hasMessageContaining("overlap");
        assertThatThrownBy(() -> new FailClosed(NODE, List.of())).hasMessageContaining("pod CIDRs of node n1");
    }
}
