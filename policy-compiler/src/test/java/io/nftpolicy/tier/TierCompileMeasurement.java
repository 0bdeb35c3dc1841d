package io.nftpolicy.tier;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Protocol;
import io.nftpolicy.policy.ClusterNetworkPolicy.Rule;
import io.nftpolicy.policy.ClusterNetworkPolicy.Subject;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Compile time and table size with 100 ClusterNetworkPolicies on the generated cluster (10,000 pods, 2,000
 * NetworkPolicies, 20 nodes), each pod the subject of 20 of them (every policy selects one team of five). A
 * measurement, run by name: {@code mvn -B -q -pl policy-compiler -am test -Dtest=TierCompileMeasurement
 * -Dsurefire.failIfNoSpecifiedTests=false}.
 */
public class TierCompileMeasurement {
    private static final int WARM_UP = 3;
    private static final int ROUNDS = 9;

    @Test
    void compileTimeAndSizeWithAHundredClusterNetworkPolicies() {
        ClusterSnapshot base = ClusterGenerator.generate(new ClusterGenerator.Size(200, 50, 20, 10, 1));
        ClusterSnapshot withTiers = base.withTiers(policies(100), List.of());
        String node = ClusterGenerator.nodeName(0);

        // Side by side: the two compiles alternate, so that a change of the machine's load hits both alike.
        for (int i = 0; i < WARM_UP; i++) {
            new PolicyCompiler().compile(base, node);
            new PolicyCompiler().compile(withTiers, node);
        }
        long[] plainTimes = new long[ROUNDS];
        long[] tierTimes = new long[ROUNDS];
        double[] ratios = new double[ROUNDS];
        for (int i = 0; i < ROUNDS; i++) {
            plainTimes[i] = time(base, node);
            tierTimes[i] = time(withTiers, node);
            ratios[i] = (double) tierTimes[i] / plainTimes[i];
        }
        long plain = median(plainTimes);
        long tiers = median(tierTimes);
        Arrays.sort(ratios);
        Ruleset ruleset = new PolicyCompiler().compile(withTiers, node).ruleset();
        int plainBytes = NftRenderer.render(new PolicyCompiler().compile(base, node).ruleset()).length();
        int longest = ruleset.chains().stream().filter(c -> c.name().startsWith("cnp-"))
                .mapToInt(c -> c.rules().size()).max().orElse(0);
        long tierChains = ruleset.chains().stream().map(Chain::name).filter(n -> n.startsWith("cnp-")).count();
        int bytes = NftRenderer.render(ruleset).length();
        System.out.printf("compile %s (median of %d alternating rounds after %d warm-up): %d ms without, %d ms with 100 "
                + "ClusterNetworkPolicies, ratio %.2f [%.2f-%.2f]; %d tier chains, the longest %d rules; %d rules, "
                + "%d elements; %d bytes of nft text against %d without%n", node, ROUNDS, WARM_UP, plain / 1_000_000,
                tiers / 1_000_000, ratios[ROUNDS / 2], ratios[0], ratios[ROUNDS - 1], tierChains, longest,
                ruleset.ruleCount(), ruleset.elementCount(), bytes, plainBytes);
        assertThat(tierChains).isPositive();
    }

    private static long time(ClusterSnapshot snapshot, String node) {
        long start = System.nanoTime();
        new PolicyCompiler().compile(snapshot, node);
        return System.nanoTime() - start;
    }

    private static long median(long[] times) {
        long[] sorted = times.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** Half Admin, half Baseline; each selects one team's namespaces, three rules per direction in all. */
    public static List<ClusterNetworkPolicy> policies(int count) {
        List<ClusterNetworkPolicy> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String team = "team-" + (i % 5);
            String other = "team-" + ((i + 1) % 5);
            Subject subject = Subject.ofNamespaces(LabelSelector.matchLabels(Map.of("team", team)));
            List<Rule> ingress = List.of(
                    Rule.of("Accept", List.of(Peer.pods(LabelSelector.matchLabels(Map.of("team", other)),
                            LabelSelector.matchLabels(Map.of("tier", "frontend")))), Protocol.port("TCP", 8080)),
                    Rule.of(i % 2 == 0 ? "Pass" : "Deny", List.of(Peer.namespaces(
                            LabelSelector.matchLabels(Map.of("env", "dev")))), Protocol.range("TCP", 20, 25)));
            List<Rule> egress = List.of(Rule.of("Deny", List.of(Peer.networks(List.of("192.0.2." + (i % 64) * 4
                    + "/30")))));
            out.add(new ClusterNetworkPolicy("cnp-" + i, i < count / 2 ? "Admin" : "Baseline", i % 50, subject,
                    ingress, egress));
        }
        return out;
    }
}
