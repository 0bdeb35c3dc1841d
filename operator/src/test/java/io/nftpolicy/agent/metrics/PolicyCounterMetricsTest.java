package io.nftpolicy.agent.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.agent.metrics.PolicyCounterMetrics.Series;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.stats.Count;
import io.nftpolicy.stats.PolicyCounters;
import io.nftpolicy.stats.StagedAcceptCount;
import io.nftpolicy.stats.StagedDropCount;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The series of staged policies: one per policy, direction and would-verdict, whatever the pods and rules. */
class PolicyCounterMetricsTest {

    @Test
    void aStagedPolicysRulesAndPodsSumIntoOneWouldAcceptAndOneWouldDropSeries() {
        PolicyCounters.Report report = new PolicyCounters.Report(List.of(), List.of(),
                List.of(new StagedAcceptCount("dev/lockdown", PolicyType.INGRESS, "ingress[0].from[0]", 4, 240),
                        new StagedAcceptCount("dev/lockdown", PolicyType.INGRESS, "ingress[1].from[0]", 1, 60)),
                List.of(new StagedDropCount("dev/lockdown", "dev/db-0", PolicyType.INGRESS, List.of("dev/lockdown"),
                                2, 120),
                        new StagedDropCount("dev/lockdown", "dev/db-1", PolicyType.INGRESS, List.of("dev/lockdown"),
                                3, 180)),
                List.of());

        Map<Series, Count> series = PolicyCounterMetrics.series(report);

        assertThat(series).containsOnly(
                Map.entry(new Series("dev", "lockdown", "ingress", "would-accept"), new Count(5, 300)),
                Map.entry(new Series("dev", "lockdown", "ingress", "would-drop"), new Count(5, 300)));
    }
}
