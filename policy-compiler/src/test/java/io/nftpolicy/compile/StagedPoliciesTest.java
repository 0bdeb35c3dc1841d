package io.nftpolicy.compile;

import static io.nftpolicy.cluster.Protocol.TCP;
import static io.nftpolicy.testing.Policies.denyAll;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.pods;
import static io.nftpolicy.testing.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.explain.ConnectionText;
import io.nftpolicy.explain.Hook;
import io.nftpolicy.explain.Packet;
import io.nftpolicy.explain.RulesetEvaluator;
import io.nftpolicy.explain.Trace;
import io.nftpolicy.explain.TraceText;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.stats.Count;
import io.nftpolicy.stats.CounterReadings;
import io.nftpolicy.stats.PolicyCounters;
import io.nftpolicy.stats.StagedAcceptCount;
import io.nftpolicy.stats.StagedDropCount;
import io.nftpolicy.testing.Clusters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Staged policies: counted in chains of their own that change no verdict (docs/ruleset.md, "Staged policies"). */
class StagedPoliciesTest {
    private static final String DB = "10.244.1.5";
    private static final String FE = "10.244.1.6";
    private static final PolicyRule FROM_FRONTEND_TCP_80 = new PolicyRule(List.of(pods(labels("role=frontend"))),
            List.of(tcp(80)));

    private static Clusters cluster(NetworkPolicy... policies) {
        Clusters cluster = Clusters.cluster().namespaces("dev")
                .pod("dev/db", "n1", DB, "role=db")
                .pod("dev/fe", "n1", FE, "role=frontend");
        for (NetworkPolicy p : policies) {
            cluster = cluster.policy(p);
        }
        return cluster;
    }

    private static Ruleset compile(NetworkPolicy... policies) {
        return new EstablishedFlows().apply(new PolicyCompiler().compile(cluster(policies).snapshot(), "n1").ruleset());
    }

    private static NetworkPolicy stagedDenyAll() {
        return denyAll("dev/deny-all", labels("role=db")).withStaged(true);
    }

    private static Trace forward(Ruleset ruleset, String from, String to, int port) {
        return new RulesetEvaluator(ruleset).evaluate(Packet.of(from, to, TCP, port), Hook.FORWARD);
    }

    private static VerdictMap map(Ruleset ruleset, String name) {
        return ruleset.maps().stream().filter(m -> m.name().equals(name)).findFirst().orElseThrow();
    }

    private static Chain stagedChain(Ruleset ruleset) {
        return ruleset.chains().stream().filter(StagedChains::isStagedChain).findFirst().orElseThrow();
    }

    @Test
    void aStagedPolicyIsolatesNoPodButDispatchesItsPodsToAStagedChain() {
        Ruleset ruleset = compile(stagedDenyAll());

        assertThat(map(ruleset, "ingress-v4").elements()).isEmpty();
        assertThat(map(ruleset, "staged-ingress-v4").elements()).singleElement().satisfies(e -> {
            assertThat(e.comment()).isEqualTo("dev/db");
            assertThat(e.chain()).startsWith("stg-ing-");
        });
    }

    @Test
    void everyRuleOfAStagedChainReturnsSoNoVerdictComesFromIt() {
        Ruleset ruleset = compile(ingress("dev/web", labels("role=db"), FROM_FRONTEND_TCP_80).withStaged(true));

        List<String> statements = stagedChain(ruleset).rules().stream().map(Rule::statement).toList();
        assertThat(statements).allSatisfy(s -> assertThat(s).endsWith(" return"));
        assertThat(statements.get(0)).endsWith(" counter return");
        assertThat(statements).contains("ip daddr @staged-drops-ingress-v4 return",
                "ip6 daddr @staged-drops-ingress-v6 return");
    }

    @Test
    void theStagedDispatchComesBeforeTheEnforcedOneInTheBaseChain() {
        Ruleset ruleset = compile(stagedDenyAll());

        List<String> forward = ruleset.chains().stream().filter(c -> c.name().equals("filter-forward")).findFirst()
                .orElseThrow().rules().stream().map(Rule::statement).toList();
        assertThat(forward.indexOf("ip daddr vmap @staged-ingress-v4"))
                .isPositive().isLessThan(forward.indexOf("ip saddr vmap @egress-v4"));
    }

    @Test
    void withoutStagedPoliciesTheTableHasNothingStaged() {
        Ruleset ruleset = compile(ingress("dev/web", labels("role=db"), FROM_FRONTEND_TCP_80));

        assertThat(ruleset.maps()).noneMatch(m -> m.name().startsWith("staged-"));
        assertThat(ruleset.sets()).noneMatch(s -> s.name().startsWith("staged-"));
        assertThat(ruleset.chains()).noneMatch(StagedChains::isStagedChain);
    }

    @Test
    void aStagedDenyAllLetsTheConnectionThroughAndSaysItWouldDenyIt() {
        Trace trace = forward(compile(stagedDenyAll()), FE, DB, 80);

        assertThat(trace.accepted()).isTrue();
        assertThat(trace.allowances()).isEmpty();
        assertThat(trace.denial()).isEmpty();
        assertThat(trace.staged()).singleElement().satisfies(s -> {
            assertThat(s.wouldAllow()).isFalse();
            assertThat(s.staged()).containsExactly("dev/deny-all");
            assertThat(s.subject()).isEqualTo("dev/db");
            assertThat(TraceText.staged(s)).startsWith("staged dev/deny-all would deny ingress of dev/db: isolated by "
                    + "dev/deny-all, and no rule of chain stg-ing-");
        });
    }

    @Test
    void aStagedAllowOverAnEnforcedIsolationAllowsNothingAndSaysWhatItWouldAllow() {
        Trace trace = forward(compile(denyAll("dev/isolate-db", labels("role=db")),
                ingress("dev/web", labels("role=db"), FROM_FRONTEND_TCP_80).withStaged(true)), FE, DB, 80);

        assertThat(trace.accepted()).isFalse();
        assertThat(trace.denial()).get().satisfies(d -> assertThat(d.isolatedBy()).containsExactly("dev/isolate-db"));
        assertThat(trace.staged()).singleElement().satisfies(s -> {
            assertThat(s.wouldAllow()).isTrue();
            assertThat(s.policies()).containsExactly("dev/isolate-db", "dev/web");
            assertThat(TraceText.staged(s)).isEqualTo("staged dev/web would allow ingress of dev/db by dev/web "
                    + "ingress[0].from[0]");
        });
    }

    @Test
    void aStagedPolicyWouldAllowWhatAnEnforcedPolicyOfThePodAllows() {
        // Enforcing the deny-all would add isolation, not take away what another policy of the pod allows.
        Trace trace = forward(compile(ingress("dev/web", labels("role=db"), FROM_FRONTEND_TCP_80), stagedDenyAll()),
                FE, DB, 80);

        assertThat(trace.accepted()).isTrue();
        assertThat(trace.staged()).singleElement().satisfies(s -> assertThat(s.wouldAllow()).isTrue());
    }

    @Test
    void statsCountWouldAllowPerStagedPeerAndWouldDenyPerStagedPolicyAndPod() {
        Ruleset ruleset = new RuleCounters().apply(compile(ingress("dev/web", labels("role=db"), FROM_FRONTEND_TCP_80),
                ingress("dev/web-staged", labels("role=db"), FROM_FRONTEND_TCP_80).withStaged(true)));
        Map<String, List<Optional<Count>>> chains = new HashMap<>();
        for (Chain chain : ruleset.chains()) {
            List<Optional<Count>> rules = new ArrayList<>();
            chain.rules().forEach(r -> rules.add(r.statement().contains(" counter ") ? Optional.of(new Count(3, 180))
                    : Optional.empty()));
            chains.put(chain.name(), rules);
        }
        CounterReadings readings = new CounterReadings(chains, Map.of(
                StagedChains.dropSet(PolicyType.INGRESS, IpFamily.IPV4),
                Map.of(IpAddress.parse(DB), new Count(2, 120))));

        PolicyCounters.Report report = PolicyCounters.attribute(ruleset, readings);

        assertThat(report.wouldAccept()).containsExactly(
                new StagedAcceptCount("dev/web-staged", PolicyType.INGRESS, "ingress[0].from[0]", 3, 180));
        assertThat(report.wouldDrop()).containsExactly(new StagedDropCount("dev/web-staged", "dev/db",
                PolicyType.INGRESS, List.of("dev/web", "dev/web-staged"), 2, 120));
        assertThat(report.accepts()).extracting(a -> a.policy()).containsExactly("dev/web");
        assertThat(report.warnings()).isEmpty();
    }

    @Test
    void theAgentsIncrementalCompilerFollowsAPolicyStagedThenEnforcedThenStagedAgain() {
        NetworkPolicy enforced = ingress("dev/web", labels("role=db"), FROM_FRONTEND_TCP_80);
        IncrementalCompiler incremental = new IncrementalCompiler("n1");

        for (NetworkPolicy policy : List.of(enforced.withStaged(true), enforced, enforced.withStaged(true))) {
            var snapshot = cluster(policy).snapshot();
            assertThat(incremental.compile(snapshot).ruleset()).as("staged: " + policy.staged())
                    .isEqualTo(new PolicyCompiler().compile(snapshot, "n1").ruleset());
        }
    }

    @Test
    void explainTellsStagedResultsApartFromTheDecision() {
        Clusters cluster = cluster(stagedDenyAll());
        Ruleset ruleset = new PolicyCompiler().compile(cluster.snapshot(), "n1").ruleset();
        io.nftpolicy.explain.ConnectionExplainer explainer =
                new io.nftpolicy.explain.ConnectionExplainer(cluster.snapshot(), node -> ruleset);

        String text = ConnectionText.render(explainer.explain(explainer.party("dev/fe"), explainer.party("dev/db"),
                TCP, 80).get(0), false);

        assertThat(text).contains("dev/fe -> dev/db TCP/80 IPv4: allowed")
                .contains("\n  staged dev/deny-all would deny ingress of dev/db: isolated by dev/deny-all");
    }
}
