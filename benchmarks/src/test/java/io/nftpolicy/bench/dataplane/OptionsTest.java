package io.nftpolicy.bench.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.generate.ClusterGenerator;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OptionsTest {
    @Test
    void defaultsMeasureThreeSizesOnBothPlacements() {
        Options options = Options.parse(new String[0]);

        assertThat(options.sizes()).containsExactly(new Options.Cluster(100, 20), new Options.Cluster(1000, 200),
                new Options.Cluster(10000, 2000));
        assertThat(options.placements()).containsExactlyInAnyOrder(ProbePlan.Placement.values());
        assertThat(options.plots()).isEqualTo(options.out());
    }

    @Test
    void countersAreAFlagTakingNoValueAndOffByDefault() {
        assertThat(Options.parse(new String[0]).counters()).isFalse();

        Options options = Options.parse(new String[] {"--counters", "--rounds", "4"});

        assertThat(options.counters()).isTrue();
        assertThat(options.rounds()).isEqualTo(4);
    }

    @Test
    void stagedMeasuresTheCountingLayoutToo() {
        Options options = Options.parse(new String[] {"--staged"});

        assertThat(options.staged()).isTrue();
        assertThat(options.counters()).isTrue();
        assertThat(Options.parse(new String[] {"--counters"}).staged()).isFalse();
    }

    @Test
    void theTwinIsAFlagOfItsOwn() {
        assertThat(Options.parse(new String[] {"--twin"}).twin()).isTrue();
        assertThat(Options.parse(new String[] {"--twin"}).counters()).isFalse();
    }

    @Test
    void clusterPoliciesAndTheCountingLayoutsCombine() {
        Options options = Options.parse(new String[] {"--cluster-policies", "100", "--staged", "--twin",
                "--cluster-policy-actions", "alternate"});

        assertThat(options.clusterPolicies()).isEqualTo(100);
        assertThat(options.alternating()).isTrue();
        assertThat(options).extracting(Options::counters, Options::staged, Options::twin)
                .containsExactly(true, true, true);
    }

    @Test
    void sizesSplitIntoNamespacesOfAtMostThePoliciesPerNamespace() {
        ClusterGenerator.Size size = new Options.Cluster(10000, 2000).generatorSize(70, 1);

        assertThat(size.namespaces()).isEqualTo(29);
        assertThat(size.policiesPerNamespace()).isLessThanOrEqualTo(70);
        assertThat(size.pods()).isBetween(9900, 10000);
    }

    @Test
    void theSettlePauseGrowsWithTheScriptsUnlessGiven() {
        Options auto = Options.parse(new String[0]);
        Options fixed = Options.parse(new String[] {"--settle-seconds", "0.5"});

        assertThat(auto.settleAfter(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(auto.settleAfter(200_000_000)).isEqualTo(Duration.ofSeconds(6));
        assertThat(fixed.settleAfter(200_000_000)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void oneRoundIsRefusedBecauseTheFirstIsDiscarded() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--rounds", "1"}))
                .hasMessageContaining("--rounds must be at least 2");
    }

    @Test
    void aBadSizeNamesTheOption() {
        assertThatThrownBy(() -> Options.parse(new String[] {"--sizes", "100"}))
                .hasMessageContaining("--sizes: expected pods:policies, got 100");
    }
}
