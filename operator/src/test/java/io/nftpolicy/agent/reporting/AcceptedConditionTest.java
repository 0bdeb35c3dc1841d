package io.nftpolicy.agent.reporting;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The nftpolicy.io/Accepted condition a ClusterNetworkPolicy should carry, judged from the object alone. */
class AcceptedConditionTest {
    private static final Instant NOW = Instant.parse("2026-12-07T10:00:00Z");
    private static final String ALL_NAMESPACES = "{\"namespaces\": {}}";

    @Test
    void aPolicyEnforcedAsWrittenIsAccepted() {
        Condition c = AcceptedCondition.of(policy(3, "\"Admin\"", "10",
                "[{\"action\": \"Deny\", \"to\": [{\"networks\": [\"10.0.0.0/8\"]}]}]"), Optional.empty(), NOW);

        assertThat(c.getType()).isEqualTo("nftpolicy.io/Accepted");
        assertThat(c.getStatus()).isEqualTo("True");
        assertThat(c.getReason()).isEqualTo("Accepted");
        assertThat(c.getObservedGeneration()).isEqualTo(3L);
        assertThat(c.getLastTransitionTime()).isEqualTo("2026-12-07T10:00:00Z");
    }

    @Test
    void aDomainNamesPeerIsUnsupportedWithTheFieldAndItsEffectInTheMessage() {
        Condition c = AcceptedCondition.of(policy(1, "\"Admin\"", "10",
                "[{\"action\": \"Accept\", \"to\": [{\"domainNames\": [\"example.com\"]}]}]"), Optional.empty(), NOW);

        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("UnsupportedField");
        assertThat(c.getMessage()).isEqualTo("spec.egress[0].to[0].domainNames: not supported by nftpolicy (treated "
                + "as a peer it does not know) (the rule matches nothing)");
    }

    @Test
    void anInvalidFieldBesideADomainNamesPeerMakesItInvalidAndBothAreListed() {
        Condition c = AcceptedCondition.of(policy(1, "\"Admin\"", "10",
                "[{\"action\": \"Accept\", \"to\": [{\"domainNames\": [\"example.com\"]}]},"
                        + " {\"action\": \"Deny\", \"to\": [{\"networks\": [\"10.0.0.0/33\"]}]}]"), Optional.empty(), NOW);

        assertThat(c.getReason()).isEqualTo("InvalidField");
        assertThat(c.getMessage()).startsWith("spec.egress[0].to[0].domainNames: not supported by nftpolicy")
                .contains("; spec.egress[1].to[0].networks[0]: ").contains("(the rule denies everything)");
    }

    @Test
    void aPriorityOutOfRangeIsInvalid() {
        Condition c = AcceptedCondition.of(policy(1, "\"Admin\"", "1001",
                "[{\"action\": \"Deny\", \"to\": [{\"networks\": [\"10.0.0.0/8\"]}]}]"), Optional.empty(), NOW);

        assertThat(c.getReason()).isEqualTo("InvalidField");
        assertThat(c.getMessage()).startsWith("spec.priority: 1001 is outside 0..1000");
    }

    @Test
    void theTransitionTimeStaysWhileTheStatusStaysAndMovesWhenItChanges() {
        Condition before = new ConditionBuilder().withType(AcceptedCondition.TYPE).withStatus("False")
                .withReason("InvalidField").withMessage("old").withObservedGeneration(1L)
                .withLastTransitionTime("2026-01-01T00:00:00Z").build();
        String stillInvalid = "[{\"action\": \"Deny\", \"to\": [{\"networks\": [\"bad\"]}]}]";
        String fixed = "[{\"action\": \"Deny\", \"to\": [{\"networks\": [\"10.0.0.0/8\"]}]}]";

        assertThat(AcceptedCondition.of(policy(2, "\"Admin\"", "10", stillInvalid), Optional.of(before), NOW)
                .getLastTransitionTime()).isEqualTo("2026-01-01T00:00:00Z");
        assertThat(AcceptedCondition.of(policy(2, "\"Admin\"", "10", fixed), Optional.of(before), NOW)
                .getLastTransitionTime()).isEqualTo("2026-12-07T10:00:00Z");
    }

    @Test
    void onlyStatusReasonMessageAndGenerationMakeItWorthWriting() {
        Condition written = AcceptedCondition.of(policy(4, "\"Baseline\"", "5",
                "[{\"action\": \"Deny\", \"to\": [{\"networks\": [\"10.0.0.0/8\"]}]}]"), Optional.empty(), NOW);
        Condition later = AcceptedCondition.of(policy(4, "\"Baseline\"", "5",
                "[{\"action\": \"Deny\", \"to\": [{\"networks\": [\"10.0.0.0/8\"]}]}]"), Optional.empty(),
                NOW.plusSeconds(60));
        Condition nextGeneration = AcceptedCondition.of(policy(5, "\"Baseline\"", "5",
                "[{\"action\": \"Deny\", \"to\": [{\"networks\": [\"10.0.0.0/8\"]}]}]"), Optional.of(written), NOW);

        assertThat(AcceptedCondition.differs(Optional.of(written), later)).isFalse();
        assertThat(AcceptedCondition.differs(Optional.of(written), nextGeneration)).isTrue();
        assertThat(AcceptedCondition.differs(Optional.empty(), written)).isTrue();
    }

    private static JsonNode policy(int generation, String tier, String priority, String egress) {
        try {
            return new ObjectMapper().readTree("{\"apiVersion\": \"policy.networking.k8s.io/v1beta1\","
                    + " \"kind\": \"ClusterNetworkPolicy\", \"metadata\": {\"name\": \"p\", \"generation\": "
                    + generation + "}, \"spec\": {\"tier\": " + tier + ", \"priority\": " + priority
                    + ", \"subject\": " + ALL_NAMESPACES + ", \"egress\": " + egress + "}}");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
