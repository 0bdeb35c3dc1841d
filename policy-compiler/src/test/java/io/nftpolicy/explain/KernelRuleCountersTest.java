package io.nftpolicy.explain;

import static io.nftpolicy.testing.Clusters.cluster;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.stats.Count;
import io.nftpolicy.stats.CounterReadings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Kernel readings named as the audit report names rules: node, chain, 1-based position. */
class KernelRuleCountersTest {
    private static final Ruleset COUNTED = new io.nftpolicy.compile.RuleCounters().apply(new PolicyCompiler()
            .compile(cluster()
                    .pod("dev/db", "n1", "10.244.1.10", "role=db")
                    .pod("dev/web", "n1", "10.244.1.11", "role=web")
                    .policy(new NetworkPolicy("dev", "db-from-web", LabelSelector.matchLabels(Map.of("role", "db")),
                            List.of("Ingress"), List.of(new PolicyRule(List.of(PolicyPeer.pods(
                                    LabelSelector.matchLabels(Map.of("role", "web")))), List.of(PolicyPort.tcp(5432)))),
                            List.of()))
                    .snapshot(), "n1").ruleset());

    private static Chain ingress() {
        return COUNTED.chains().stream().filter(c -> c.name().startsWith("ing-")).findFirst().orElseThrow();
    }

    /** Every chain as the kernel lists it: the allow rules of the ingress chain counted 7 packets, 420 bytes. */
    private static CounterReadings readings(Map<IpAddress, Count> drops) {
        Map<String, List<Optional<Count>>> chains = new HashMap<>();
        for (Chain chain : COUNTED.chains()) {
            List<Optional<Count>> rules = new ArrayList<>();
            for (Rule rule : chain.rules()) {
                rules.add(io.nftpolicy.compile.RuleCounters.isCountedAllow(rule) && chain == ingress()
                        ? Optional.of(new Count(7, 420)) : Optional.empty());
            }
            chains.put(chain.name(), rules);
        }
        return new CounterReadings(chains, Map.of("drops-ingress-v4", drops));
    }

    private static int position(String statementPart) {
        List<Rule> rules = ingress().rules();
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).statement().contains(statementPart)) {
                return i + 1;
            }
        }
        throw new AssertionError("no rule with " + statementPart);
    }

    @Test
    void anAllowRuleGetsTheReadingAtItsPositionInItsChain() {
        KernelRuleCounters counters = KernelRuleCounters.of("n1", "n1", COUNTED, readings(Map.of()));

        assertThat(counters.count("n1", ingress().name(), position(" counter accept")))
                .contains(new RuleCounters.Count(7, 420));
        assertThat(counters.count("n2", ingress().name(), position(" counter accept"))).isEmpty();
        assertThat(counters.warnings()).isEmpty();
    }

    @Test
    void anIsolationDropGetsTheDropSetCountsOfThePodsDispatchedToItsChain() {
        KernelRuleCounters counters = KernelRuleCounters.of("n1", "n1", COUNTED, readings(Map.of(
                IpAddress.parse("10.244.1.10"), new Count(3, 180), IpAddress.parse("10.244.1.99"), new Count(5, 300))));

        assertThat(counters.count("n1", ingress().name(), position("@drops-ingress-v4")))
                .contains(new RuleCounters.Count(3, 180));
        assertThat(counters.count("n1", ingress().name(), position("@drops-ingress-v6"))).isEmpty();
    }

    @Test
    void aChainWhoseRuleCountDiffersFromTheKernelsHasNoCountsAndAWarning() {
        CounterReadings full = readings(Map.of());
        Map<String, List<Optional<Count>>> chains = new HashMap<>(full.chains());
        chains.put(ingress().name(), List.of(Optional.of(new Count(1, 60))));

        KernelRuleCounters counters = KernelRuleCounters.of("n1", "n1", COUNTED,
                new CounterReadings(chains, full.elements()));

        assertThat(counters.count("n1", ingress().name(), 1)).isEmpty();
        assertThat(counters.warnings()).singleElement().asString().contains(ingress().name());
    }
}
