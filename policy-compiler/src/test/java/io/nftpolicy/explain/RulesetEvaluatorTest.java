package io.nftpolicy.explain;

import static io.nftpolicy.cluster.Protocol.TCP;
import static io.nftpolicy.cluster.Protocol.UDP;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.explain.Trace.Allowance;
import io.nftpolicy.explain.Trace.ChainRun;
import io.nftpolicy.explain.Trace.Check;
import io.nftpolicy.explain.Trace.RuleRun;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.testing.Clusters;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** How a node's compiled table decides on a connection's first packet, and how the trace says why. */
class RulesetEvaluatorTest {
    private static final String DB = "10.244.1.5";
    private static final String FE = "10.244.1.6";
    private static final String FE2 = "10.244.2.6";
    private static final String OTHER = "10.244.2.7";

    private static final PolicyRule FROM_FRONTEND_TCP_80 =
            new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of(PolicyPort.tcp(80)));

    private static Clusters cluster() {
        return Clusters.cluster().namespaces("dev")
                .pod("dev/db", "n1", DB, "role=db")
                .pod("dev/fe", "n1", FE, "role=frontend")
                .pod("dev/fe2", "n2", FE2, "role=frontend")
                .pod("dev/other", "n2", OTHER, "role=other");
    }

    private static Ruleset compile(Clusters cluster, String node) {
        return new PolicyCompiler().compile(cluster.snapshot(), node).ruleset();
    }

    private static Trace forward(Clusters cluster, String node, String from, String to, int port) {
        return new RulesetEvaluator(compile(cluster, node)).evaluate(Packet.of(from, to, TCP, port), Hook.FORWARD);
    }

    @Test
    void aTableThatJudgesEstablishedFlowsAgainDecidesANewConnectionAsOneThatKeepsThem() {
        Clusters cluster = cluster()
                .policy(ingress("dev/deny-all", all()))
                .policy(ingress("dev/db-access", labels("role=db"), FROM_FRONTEND_TCP_80));
        RulesetEvaluator rechecking = new RulesetEvaluator(new EstablishedFlows().apply(compile(cluster, "n1")));

        for (String from : List.of(FE2, OTHER)) {
            Trace kept = forward(cluster, "n1", from, DB, 80);
            Trace judged = rechecking.evaluate(Packet.of(from, DB, TCP, 80), Hook.FORWARD);

            assertThat(judged.accepted()).as(from).isEqualTo(kept.accepted());
            assertThat(judged.allowances()).as(from).isEqualTo(kept.allowances());
        }
    }

    @Test
    void aDestinationMissingFromTheDispatchMapIsNotIsolatedAndThePolicyAccepts() {
        Trace trace = forward(cluster(), "n1", FE2, DB, 80);

        assertThat(trace.accepted()).isTrue();
        assertThat(trace.allowances()).isEmpty();
        assertThat(trace.denial()).isEmpty();
        assertThat(ruleNamed(trace.base(), "ip daddr vmap @ingress-v4").checks()).singleElement()
                .satisfies(c -> assertThat(c.matched()).isFalse())
                .extracting(Check::reason).asString().startsWith("10.244.1.5 is not in map ingress-v4");
        assertThat(TraceText.summary(trace))
                .isEqualTo("accept: no chain applies to this packet here; the base chain's policy accepts");
    }

    @Test
    void theEndOfAGroupChainDropsAndNamesEveryPolicyThatIsolatesThePod() {
        Clusters cluster = cluster()
                .policy(ingress("dev/deny-all", all()))
                .policy(ingress("dev/db-access", labels("role=db"), FROM_FRONTEND_TCP_80));

        Trace trace = forward(cluster, "n1", OTHER, DB, 80);

        assertThat(trace.accepted()).isFalse();
        assertThat(trace.denial()).hasValueSatisfying(d -> {
            assertThat(d.subject()).isEqualTo("dev/db");
            assertThat(d.direction()).contains(PolicyType.INGRESS);
            assertThat(d.isolatedBy()).containsExactly("dev/db-access", "dev/deny-all");
            assertThat(d.rule().statement()).endsWith(" drop");
        });
        assertThat(TraceText.summary(trace)).startsWith("drop: dev/db is isolated for ingress by dev/db-access, "
                + "dev/deny-all, and no rule of its chain ");
    }

    @Test
    void aSelectorPeerAllowsThroughItsSharedSetAndTheTraceNamesThePodAndThePolicyPeer() {
        Trace trace = forward(cluster().policy(ingress("dev/db-access", labels("role=db"), FROM_FRONTEND_TCP_80)), "n1", FE2, DB, 80);

        assertThat(trace.accepted()).isTrue();
        assertThat(trace.allowances()).singleElement().satisfies(a -> {
            assertThat(a.subject()).isEqualTo("dev/db");
            assertThat(a.sources()).containsExactly(new Source("dev/db-access", PolicyType.INGRESS, 0, 0));
        });
        RuleRun allow = decidingRule(trace.base());
        assertThat(allow.checks()).extracting(Check::reason).containsExactly(
                "10.244.2.6 is in " + allow.checks().get(0).set().orElseThrow()
                        + " \"pods role=frontend in namespace dev\" as 10.244.2.6 \"dev/fe2\"",
                "tcp . 80 is in " + allow.checks().get(1).set().orElseThrow() + " \"ports tcp . 80\" as tcp . 80");
        assertThat(TraceText.summary(trace)).isEqualTo("accept: ingress of dev/db allowed by dev/db-access ingress[0].from[0]");
    }

    @Test
    void aPeerOnTheWrongPortIsExplainedByThePortSetItMissed() {
        Trace trace = forward(cluster().policy(ingress("dev/db-access", labels("role=db"), FROM_FRONTEND_TCP_80)), "n1", FE2, DB, 81);

        assertThat(trace.accepted()).isFalse();
        RuleRun allow = ruleWithComment(trace.base(), "dev/db-access ingress[0].from[0]");
        assertThat(allow.matched()).isFalse();
        assertThat(allow.checks()).extracting(Check::matched).containsExactly(true, false);
        assertThat(allow.checks().get(1).reason()).startsWith("tcp . 81 is not in ports-").endsWith("; it holds tcp . 80");
    }

    @Test
    void anIpBlockAllowsTheRangeButNotItsExcept() {
        PolicyRule block = new PolicyRule(List.of(PolicyPeer.ipBlock("172.17.0.0/16", "172.17.1.0/24")), List.of());
        Clusters cluster = cluster().policy(ingress("dev/ext", labels("role=db"), block));

        Trace inRange = forward(cluster, "n1", "172.17.0.5", DB, 6379);
        Trace excepted = forward(cluster, "n1", "172.17.1.5", DB, 6379);

        assertThat(inRange.allowances()).singleElement().extracting(Allowance::sources).asList()
                .containsExactly(new Source("dev/ext", PolicyType.INGRESS, 0, 0));
        assertThat(decidingRule(inRange.base()).checks()).singleElement().extracting(Check::reason).asString()
                .contains("172.17.0.5 is in block-").contains("\"ipBlock 172.17.0.0/16 except 172.17.1.0/24\" as 172.17.0.0/24");
        assertThat(excepted.accepted()).isFalse();
        assertThat(ruleWithComment(excepted.base(), "dev/ext ingress[0].from[0]").checks()).singleElement()
                .extracting(Check::reason).asString().startsWith("172.17.1.5 is not in block-");
    }

    @Test
    void aNamedEgressPortResolvesOnTheDestinationPodAndTheElementNamesThatPod() {
        Clusters cluster = Clusters.cluster().namespaces("dev")
                .pod("dev/client", "n1", DB, "role=client")
                .pod(pod("dev/web").on("n2").ips(FE2).port("http", 8080, TCP).labels("role=web"))
                .pod(pod("dev/web2").on("n2").ips(OTHER).port("http", 9090, TCP).labels("role=web"))
                .policy(egress("dev/out", labels("role=client"), new PolicyRule(List.of(PolicyPeer.pods(labels("role=web"))),
                        List.of(PolicyPort.named("TCP", "http")))));

        Trace toWeb = forward(cluster, "n1", DB, FE2, 8080);
        Trace toWeb2OnWebsPort = forward(cluster, "n1", DB, OTHER, 8080);

        assertThat(toWeb.allowances()).singleElement().satisfies(a -> {
            assertThat(a.subject()).isEqualTo("dev/client");
            assertThat(a.direction()).contains(PolicyType.EGRESS);
            assertThat(a.sources()).containsExactly(new Source("dev/out", PolicyType.EGRESS, 0, 0));
        });
        assertThat(decidingRule(toWeb.base()).checks()).singleElement().extracting(Check::reason).asString()
                .contains("10.244.2.6 . tcp . 8080 is in dst-").endsWith("as 10.244.2.6 . tcp . 8080 \"dev/web\"");
        assertThat(toWeb2OnWebsPort.accepted()).isFalse();
        assertThat(ruleWithComment(toWeb2OnWebsPort.base(), "dev/out egress[0].to[0]").checks()).singleElement()
                .extracting(Check::reason).asString().endsWith("it holds 10.244.2.7 only as 10.244.2.7 . tcp . 9090");
    }

    @Test
    void aNamedEgressPortToAnIpBlockResolvesOnTheDestinationPodTheBlockCoversAndNamesThatPod() {
        Clusters cluster = Clusters.cluster().namespaces("dev")
                .pod("dev/client", "n1", DB, "role=client")
                .pod(pod("dev/web").on("n2").ips(FE2).port("http", 8080, TCP).labels("role=web"))
                .policy(egress("dev/out", labels("role=client"), new PolicyRule(List.of(PolicyPeer.ipBlock("10.244.2.0/24")),
                        List.of(PolicyPort.named("TCP", "http")))));

        Trace toWeb = forward(cluster, "n1", DB, FE2, 8080);
        Trace toAnAddressOfNoPod = forward(cluster, "n1", DB, "10.244.2.99", 8080);

        assertThat(toWeb.allowances()).singleElement().extracting(Allowance::sources).asList()
                .containsExactly(new Source("dev/out", PolicyType.EGRESS, 0, 0));
        assertThat(decidingRule(toWeb.base()).checks()).singleElement().extracting(Check::reason).asString()
                .contains("10.244.2.6 . tcp . 8080 is in dst-").endsWith("as 10.244.2.6 . tcp . 8080 \"dev/web\"");
        assertThat(toAnAddressOfNoPod.accepted()).isFalse();
        assertThat(ruleWithComment(toAnAddressOfNoPod.base(), "dev/out egress[0].to[0]").checks()).singleElement()
                .extracting(Check::reason).asString().contains("10.244.2.99 . tcp . 8080 is not in dst-");
    }

    @Test
    void aNamedIngressPortIsTheNumberItHasOnTheIsolatedPod() {
        Clusters cluster = Clusters.cluster().namespaces("dev")
                .pod(pod("dev/web").on("n1").ips(DB).port("http", 8080, TCP).labels("role=web"))
                .pod("dev/client", "n2", FE2, "role=client")
                .policy(ingress("dev/web-in", labels("role=web"), new PolicyRule(List.of(PolicyPeer.pods(labels("role=client"))),
                        List.of(PolicyPort.named("TCP", "http")))));

        Trace onTheNamedPort = forward(cluster, "n1", FE2, DB, 8080);
        Trace onPort80 = forward(cluster, "n1", FE2, DB, 80);

        assertThat(onTheNamedPort.allowances()).singleElement().extracting(Allowance::sources).asList()
                .containsExactly(new Source("dev/web-in", PolicyType.INGRESS, 0, 0));
        assertThat(onPort80.accepted()).isFalse();
        assertThat(ruleWithComment(onPort80.base(), "dev/web-in ingress[0].from[0]").checks().get(1).reason())
                .endsWith("it holds tcp . 8080");
    }

    @Test
    void aMergedSetNamesOnlyThePolicyPeersOfTheElementThatMatched() {
        Clusters cluster = cluster();
        for (int i = 0; i < 10; i++) {
            cluster.policy(ingress("dev/p" + i, labels("role=db"), new PolicyRule(List.of(PolicyPeer.ipBlock("172.16." + i + ".0/24")),
                    List.of(PolicyPort.tcp(1000 + i)))));
        }
        cluster.policy(ingress("dev/q", labels("role=db"), new PolicyRule(List.of(PolicyPeer.ipBlock("172.16.7.0/24")),
                List.of(PolicyPort.range("TCP", 1000, 1010)))));

        Trace trace = forward(cluster, "n1", "172.16.7.1", DB, 1007);

        assertThat(decidingRule(trace.base()).rule().sources()).hasSizeGreaterThan(2);
        assertThat(trace.allowances()).singleElement().extracting(Allowance::sources).asList().containsExactly(
                new Source("dev/p7", PolicyType.INGRESS, 0, 0), new Source("dev/q", PolicyType.INGRESS, 0, 0));
        assertThat(TraceText.summary(trace))
                .isEqualTo("accept: ingress of dev/db allowed by dev/p7 ingress[0].from[0], dev/q ingress[0].from[0]");
    }

    @Test
    void anEgressAllowReturnsSoTheDestinationsIngressChainStillDecides() {
        Clusters cluster = cluster()
                .policy(egress("dev/fe-out", labels("role=frontend"), PolicyRule.allowAll()))
                .policy(ingress("dev/db-closed", labels("role=db")));

        Trace trace = forward(cluster, "n1", FE, DB, 80);

        assertThat(trace.allowances()).singleElement().satisfies(a -> {
            assertThat(a.subject()).isEqualTo("dev/fe");
            assertThat(a.rule().statement()).isEqualTo("return");
        });
        assertThat(trace.denial()).hasValueSatisfying(d -> assertThat(d.subject()).isEqualTo("dev/db"));
        assertThat(trace.base().rules()).extracting(r -> r.action().orElse("")).containsSubsequence(
                "jump " + trace.allowances().get(0).chain(), "jump " + trace.denial().get().chain());
    }

    @Test
    void rulesOfTheOtherFamilyDoNotMatchAndSaySo() {
        Trace trace = forward(cluster(), "n1", FE, DB, 80);

        assertThat(ruleNamed(trace.base(), "ip6 daddr vmap @ingress-v6").checks()).singleElement()
                .extracting(Check::reason).isEqualTo("the packet is IPv4; ip6 daddr matches IPv6 only");
    }

    @Test
    void theFirstPacketIsNotEstablished() {
        Trace trace = forward(cluster(), "n1", FE, DB, 80);

        assertThat(trace.base().rules().get(0).checks()).singleElement().satisfies(c -> {
            assertThat(c.matched()).isFalse();
            assertThat(c.reason()).isEqualTo("the first packet of a connection has ct state new");
        });
    }

    @Test
    void theInputHookAppliesALocalPodsEgressTowardsItsNode() {
        Clusters cluster = cluster().policy(egress("dev/db-out", labels("role=db")));

        Trace toNode = new RulesetEvaluator(compile(cluster, "n1")).evaluate(Packet.of(DB, "192.168.0.1", UDP, 53), Hook.INPUT);

        assertThat(toNode.base().chain().hook()).contains(new BaseHook("input", 0));
        assertThat(toNode.denial()).hasValueSatisfying(d -> assertThat(d.direction()).contains(PolicyType.EGRESS));
    }

    @Test
    void aStatementTheCompilerDoesNotWriteIsRefusedNotSkipped() {
        Chain forward = new Chain("filter-forward", Optional.of(new BaseHook("forward", 0)), "",
                List.of(Rule.of("tcp dport 80 accept", "")));
        RulesetEvaluator evaluator = new RulesetEvaluator(new Ruleset("inet", "t", "", List.of(), List.of(), List.of(forward)));

        assertThatThrownBy(() -> evaluator.evaluate(Packet.of(FE, DB, TCP, 80), Hook.FORWARD))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("explain cannot read the rule 'tcp dport 80 accept': unknown field 'tcp dport'");
    }

    @Test
    void aJumpedChainThatRunsOutOfRulesReturnsToTheRuleAfterTheJump() {
        Chain forward = new Chain("filter-forward", Optional.of(new BaseHook("forward", 0)), "",
                List.of(Rule.of("jump nothing-here", ""), Rule.of("drop", "after the jump")));
        Chain empty = new Chain("nothing-here", Optional.empty(), "", List.of());
        Ruleset rs = new Ruleset("inet", "t", "", List.of(), List.of(), List.of(forward, empty));

        Trace trace = new RulesetEvaluator(rs).evaluate(Packet.of(FE, DB, TCP, 80), Hook.FORWARD);

        assertThat(trace.base().rules()).extracting(r -> r.action().orElse("")).containsExactly("jump nothing-here", "drop");
        assertThat(trace.base().rules().get(0).jumped()).hasValueSatisfying(j -> assertThat(j.exit()).isEqualTo(Trace.Exit.END));
        assertThat(trace.accepted()).isFalse();
    }

    @Test
    void twoBaseChainsOnOneHookAreRefused() {
        Chain one = new Chain("a", Optional.of(new BaseHook("forward", 0)), "", List.of());
        Chain two = new Chain("b", Optional.of(new BaseHook("forward", 10)), "", List.of());

        assertThatThrownBy(() -> new RulesetEvaluator(new Ruleset("inet", "t", "", List.of(), List.of(), List.of(one, two))))
                .hasMessage("explain expects one base chain per hook, and chains a and b are both on hook forward");
    }

    @Test
    void theTextShowsEachRuleWithWhyItMatchedOrNotAndJumpedChainsBelowTheirRule() {
        Trace trace = forward(cluster().policy(ingress("dev/db-access", labels("role=db"), FROM_FRONTEND_TCP_80)), "n1", FE2, DB, 80);
        String chain = decidingChain(trace.base()).chain().name();

        String text = TraceText.render(trace, "");

        assertThat(text).startsWith("chain filter-forward \"pod traffic crossing this node: egress of local pods, "
                + "then ingress of local pods\"\n"
                + "  1  ct state established,related accept comment \"replies and flows already allowed\"\n"
                + "     no match: the first packet of a connection has ct state new\n");
        assertThat(text).contains("  5  ip daddr vmap @ingress-v4 comment \"ingress of isolated local pods\"\n"
                + "     match: 10.244.1.5 is in map ingress-v4 \"local pods isolated for ingress\" as 10.244.1.5 \"dev/db\"\n"
                + "     -> jump " + chain + "\n"
                + "     chain " + chain + " \"ingress of pods selected by dev/db-access\"\n"
                + "       1  ip saddr @");
        assertThat(text).endsWith("       -> accept\n");
    }

    private static RuleRun ruleNamed(ChainRun chain, String statement) {
        return rules(chain).filter(r -> r.rule().statement().equals(statement)).findFirst().orElseThrow();
    }

    private static RuleRun ruleWithComment(ChainRun chain, String comment) {
        return rules(chain).filter(r -> r.rule().comment().equals(comment)).findFirst().orElseThrow();
    }

    /** The last matched rule of the deepest chain: the one whose verdict stood. */
    private static RuleRun decidingRule(ChainRun chain) {
        ChainRun deciding = decidingChain(chain);
        return deciding.rules().get(deciding.rules().size() - 1);
    }

    private static ChainRun decidingChain(ChainRun chain) {
        return chain.rules().stream().flatMap(r -> r.jumped().stream()).reduce((a, b) -> b)
                .map(RulesetEvaluatorTest::decidingChain).orElse(chain);
    }

    private static Stream<RuleRun> rules(ChainRun chain) {
        return chain.rules().stream().flatMap(r -> Stream.concat(Stream.of(r), r.jumped().stream().flatMap(RulesetEvaluatorTest::rules)));
    }
}
