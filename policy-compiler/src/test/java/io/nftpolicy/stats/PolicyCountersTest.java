package io.nftpolicy.stats;

import static io.nftpolicy.testing.Clusters.cluster;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.compile.DropLogs;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.compile.RuleCounters;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** RuleCounters' layout, and PolicyCounters' attribution of figures read from it. */
class PolicyCountersTest {
    private static final RuleCounters COUNTERS = new RuleCounters();

    private static Ruleset counted() {
        return COUNTERS.apply(new PolicyCompiler().compile(cluster()
                .pod("dev/db", "n1", "10.244.1.10", "role=db")
                .pod("dev/web", "n1", "10.244.1.11", "role=web")
                .policy(allowWeb("db-from-web"))
                .policy(allowWeb("db-from-web-too"))
                .snapshot(), "n1").ruleset());
    }

    private static NetworkPolicy allowWeb(String name) {
        return new NetworkPolicy("dev", name, LabelSelector.matchLabels(Map.of("role", "db")), List.of("Ingress"),
                List.of(new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.matchLabels(Map.of("role", "web")))),
                        List.of(PolicyPort.tcp(5432)))), List.of());
    }

    private static Chain ingressChain(Ruleset ruleset) {
        return ruleset.chains().stream().filter(c -> c.name().startsWith("ing-")).findFirst().orElseThrow();
    }

    @Test
    void anAllowRuleCountsBeforeItsVerdictAndTheDropLooksThePodUpInACountingSet() {
        Chain chain = ingressChain(counted());

        List<String> statements = chain.rules().stream().map(Rule::statement).toList();
        assertThat(statements.get(0)).endsWith(" counter accept");
        assertThat(statements).contains("ip daddr @drops-ingress-v4 ct mark set ct mark | 0xfffff000 drop",
                "ip6 daddr @drops-ingress-v6 ct mark set ct mark | 0xfffff000 drop");
        assertThat(statements.get(statements.size() - 1)).isEqualTo("ct mark set ct mark | 0xfffff000 drop");
    }

    @Test
    void withDropAndAcceptLogsTheLoggedDropIsCountedAndTheLoggedAllowRuleCountsBeforeItsGoto() {
        Ruleset logged = new DropLogs(new DropLogs.Options(true, DropLogs.Options.DEFAULT_GROUP, 10, 5, true))
                .apply(new PolicyCompiler().compile(cluster()
                        .pod("dev/db", "n1", "10.244.1.10", "role=db")
                        .pod("dev/web", "n1", "10.244.1.11", "role=web")
                        .policy(allowWeb("db-from-web"))
                        .snapshot(), "n1").ruleset(), cluster().namespace("dev").snapshot());

        List<String> statements = ingressChain(new RuleCounters().apply(logged)).rules().stream()
                .map(Rule::statement).toList();

        assertThat(statements.get(0)).matches(".* counter goto acc-ing-[0-9a-f]{8}-0");
        List<String> tail = statements.subList(statements.size() - 4, statements.size());
        assertThat(tail.get(0)).matches("ct state new jump log-ing-[0-9a-f]{8}");
        assertThat(tail.subList(1, 4)).containsExactly(
                "ip daddr @drops-ingress-v4 ct mark set ct mark | 0xfffff000 drop",
                "ip6 daddr @drops-ingress-v6 ct mark set ct mark | 0xfffff000 drop",
                "ct mark set ct mark | 0xfffff000 drop");
    }

    @Test
    void theDropSetHoldsEachIsolatedPodWithItsNameAndIsDeclaredWithCounters() {
        Ruleset ruleset = counted();

        NamedSet drops = ruleset.sets().stream().filter(s -> s.name().equals("drops-ingress-v4")).findFirst()
                .orElseThrow();
        assertThat(drops.counter()).isTrue();
        assertThat(drops.elements()).singleElement().satisfies(e -> {
            assertThat(e.keyToNft()).isEqualTo("10.244.1.10");
            assertThat(e.comment()).isEqualTo("dev/db");
        });
        assertThat(NftRenderer.render(ruleset)).contains("\tset drops-ingress-v4 {\n\t\ttype ipv4_addr\n\t\tcounter\n");
    }

    @Test
    void aChainAlreadyCountedIsHandedBackAsTheSameInstance() {
        Ruleset compiled = new PolicyCompiler().compile(cluster().pod("dev/db", "n1", "10.244.1.10", "role=db")
                .policy(allowWeb("db-from-web")).snapshot(), "n1").ruleset();
        RuleCounters counters = new RuleCounters();

        Ruleset first = counters.apply(compiled);
        Ruleset second = counters.apply(compiled);

        assertThat(ingressChain(second)).isSameAs(ingressChain(first));
    }

    @Test
    void aSharedRuleCountsForEveryPolicyNamingItAndTheDropForThePodWithThePoliciesIsolatingIt() {
        Ruleset ruleset = counted();
        Chain chain = ingressChain(ruleset);
        Map<String, List<Optional<Count>>> chains = new HashMap<>();
        List<Optional<Count>> rules = new ArrayList<>();
        for (Rule rule : chain.rules()) {
            rules.add(rule.statement().contains("counter") ? Optional.of(new Count(3, 180)) : Optional.empty());
        }
        chains.put(chain.name(), rules);
        CounterReadings readings = new CounterReadings(chains, Map.of(RuleCounters.dropSet(PolicyType.INGRESS,
                io.nftpolicy.net.IpFamily.IPV4), Map.of(IpAddress.parse("10.244.1.10"), new Count(2, 120))));

        PolicyCounters.Report report = PolicyCounters.attribute(ruleset, readings);

        assertThat(report.accepts()).containsExactly(
                new AcceptCount("dev/db-from-web", PolicyType.INGRESS, "ingress[0].from[0]", 3, 180,
                        List.of("dev/db-from-web-too ingress[0].from[0]")),
                new AcceptCount("dev/db-from-web-too", PolicyType.INGRESS, "ingress[0].from[0]", 3, 180,
                        List.of("dev/db-from-web ingress[0].from[0]")));
        assertThat(report.drops()).containsExactly(new DropCount("dev/db", PolicyType.INGRESS,
                List.of("dev/db-from-web", "dev/db-from-web-too"), 2, 120));
        assertThat(report.warnings()).isEmpty();
    }

    @Test
    void aChainWhoseRulesDifferFromTheKernelsIsLeftOutWithAWarning() {
        Ruleset ruleset = counted();
        Chain chain = ingressChain(ruleset);

        PolicyCounters.Report report = PolicyCounters.attribute(ruleset,
                new CounterReadings(Map.of(chain.name(), List.of(Optional.of(new Count(1, 60)))), Map.of()));

        assertThat(report.accepts()).isEmpty();
        assertThat(report.warnings()).singleElement().asString().contains(chain.name()).contains("1 rules in the kernel");
    }
}
