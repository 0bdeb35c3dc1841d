package io.nftpolicy.compile;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DiagnosticTest {
    @Test
    void theEffectFollowsTheReasonInParentheses() {
        Diagnostic diagnostic = new Diagnostic("NetworkPolicy", "dev/db", "spec.ingress[0].from[0].ipBlock.cidr",
                "10.0.0.0/33 is not a CIDR", "the selected pods stay isolated for ingress");

        assertThat(diagnostic.reasonAndEffect())
                .isEqualTo("10.0.0.0/33 is not a CIDR (the selected pods stay isolated for ingress)");
    }

    @Test
    void withoutAnEffectOnlyTheReasonIsSaid() {
        Diagnostic diagnostic = new Diagnostic("Pod", "dev/web", "spec.containers[0].ports[0].containerPort",
                "70000 is not a port", null);

        assertThat(diagnostic.reasonAndEffect()).isEqualTo("70000 is not a port");
    }

    @Test
    void aLineForAPersonNamesTheObjectAndTheFieldFirst() {
        Diagnostic diagnostic = new Diagnostic("NetworkPolicy", "dev/db", "spec.podSelector", "bad selector",
                "the policy is skipped");

        assertThat(diagnostic.format())
                .isEqualTo("NetworkPolicy dev/db: spec.podSelector: bad selector (the policy is skipped)");
    }
}
