package io.nftpolicy.agent.reporting;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.agent.cache.PolicyRef;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which NetworkPolicy a refused nft command comes from: the provenance in its comment. */
class EventRecorderTest {
    private static final Map<String, PolicyRef> POLICIES = Map.of(
            "dev/db", new PolicyRef("dev", "db", "uid-1", 3),
            "prod/web", new PolicyRef("prod", "web", "uid-2", 1));

    @Test
    void aRuleCommentNamesItsPolicy() {
        String command = "add rule inet nftpolicy ing-3fa2c1d0-dev_db ip saddr @peer-1d2b870c-v4 meta l4proto . "
                + "th dport { tcp . 6379 } accept comment \"dev/db ingress[0].from[2]\"";

        assertThat(EventRecorder.policyIn(command, POLICIES)).contains(POLICIES.get("dev/db"));
    }

    @Test
    void anEgressRuleToo() {
        assertThat(EventRecorder.policyIn("add rule inet nftpolicy egr-1-prod_web ip daddr @x return comment "
                + "\"prod/web egress[1].to[0]\"", POLICIES)).contains(POLICIES.get("prod/web"));
    }

    @Test
    void anElementCommentNamingAPodIsNoPolicy() {
        assertThat(EventRecorder.policyIn("add element inet nftpolicy peer-1-v4 { 10.0.0.1 comment \"dev/db\" }",
                POLICIES)).isEmpty();
        assertThat(EventRecorder.policyIn("add rule inet nftpolicy x accept comment \"other/gone ingress[0]\"",
                POLICIES)).isEmpty();
    }
}
