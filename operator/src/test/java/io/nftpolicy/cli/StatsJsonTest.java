package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.stats.PolicyCounters;
import io.nftpolicy.stats.StagedAcceptCount;
import io.nftpolicy.stats.StagedDropCount;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The records of staged policies in what {@code nftpolicy stats} prints (docs/audit.md, "Staged policies"). */
class StatsJsonTest {
    private static final PolicyCounters.Report STAGED = new PolicyCounters.Report(List.of(), List.of(),
            List.of(new StagedAcceptCount("dev/lockdown", PolicyType.INGRESS, "ingress[0].from[0]", 41, 2460)),
            List.of(new StagedDropCount("dev/lockdown", "dev/db", PolicyType.INGRESS,
                    List.of("dev/lockdown", "dev/web"), 3, 180)),
            List.of());

    @Test
    void stagedRecordsAreMarkedStagedWithWouldVerdicts() {
        JsonNode rules = StatsJson.of("node-1", STAGED).path("rules");

        assertThat(rules).hasSize(2);
        assertThat(rules.path(0).path("verdict").asText()).isEqualTo("would-accept");
        assertThat(rules.path(0).path("staged").asBoolean()).isTrue();
        assertThat(rules.path(0).path("rule").asText()).isEqualTo("ingress[0].from[0]");
        assertThat(rules.path(1).path("verdict").asText()).isEqualTo("would-drop");
        assertThat(rules.path(1).path("pod").asText()).isEqualTo("dev/db");
        assertThat(rules.path(1).path("packets").asLong()).isEqualTo(3);
    }

    @Test
    void textEndsWithWhatEachStagedPolicyWouldAllowAndDeny() {
        assertThat(StatsJson.text(STAGED)).last().isEqualTo("staged dev/lockdown: would allow 41, would deny 3");
    }
}
