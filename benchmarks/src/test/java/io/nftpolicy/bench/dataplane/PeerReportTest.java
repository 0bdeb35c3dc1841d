package io.nftpolicy.bench.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PeerReportTest {
    private static final PeerPhase.Resources SOME = new PeerPhase.Resources(0.01, 100_000_000, 120_000_000);

    @Test
    void theLastLineIsEachAgentsCrossNodeRateOverStatefulMedianOfTheRounds() {
        List<PeerPhase> phases = new ArrayList<>();
        double[] nftpolicyAcross = {0.95, 0.99, 0.97};
        double[] peerAcross = {0.40, 0.30, 0.50};
        for (int round = 0; round < 3; round++) {
            phases.add(phase(PeerReport.NFTPOLICY, round, 0.5, nftpolicyAcross[round]));
            phases.add(phase(PeerReport.PEER, round, 0.9, peerAcross[round]));
        }

        assertThat(PeerReport.line(phases)).isEqualTo("peer: nftpolicy 0.970, kube-network-policies 0.400");
        assertThat(PeerReport.markdown("header", phases)).endsWith(PeerReport.line(phases) + "\n");
    }

    @Test
    void everyEventsSamplesArePooledOverRoundsForItsPercentiles() {
        List<PeerPhase> phases = List.of(phase(PeerReport.NFTPOLICY, 0, 1, 1), phase(PeerReport.PEER, 0, 1, 1));

        assertThat(PeerReport.markdown("header", phases))
                .containsPattern("\\| nftpolicy\\s+\\| pod add\\s+\\|\\s+4 \\|\\s+20\\.0 \\|\\s+40\\.0 \\|\\s+40\\.0 \\|");
    }

    @Test
    void thePlotHasALinePerAgentAndPlacementEvenAfterOneRound() {
        List<PeerPhase> phases = List.of(phase(PeerReport.NFTPOLICY, 0, 0.9, 0.8), phase(PeerReport.PEER, 0, 0.5, 0.4));

        String svg = PeerReport.plot(phases).toSvg();

        assertThat(svg).contains("nftpolicy, same node", "nftpolicy, across nodes", "kube-network-policies, same node",
                "kube-network-policies, across nodes");
    }

    @Test
    void aReportAfterTheFirstPhaseHasThePlotOfThatAgentAlone() {
        String svg = PeerReport.plot(List.of(phase(PeerReport.NFTPOLICY, 0, 0.9, 0.8))).toSvg();

        assertThat(svg).contains("nftpolicy, same node").doesNotContain("kube-network-policies, same node");
    }

    /** (a) at 1000/s on both placements; the agent at the given ratios; pod adds of 10, 20, 30, 40 ms. */
    private static PeerPhase phase(String agent, int round, double sameNode, double across) {
        return new PeerPhase(agent, round, "1.00 1.00 1.00", 10,
                Map.of(ProbePlan.Placement.SAME_NODE, new double[] {1000, 1000 * sameNode},
                        ProbePlan.Placement.CROSS_NODE, new double[] {1000, 1000 * across}),
                Map.of("pod add", List.of(10.0, 20.0, 30.0, 40.0)), SOME, SOME, 100);
    }
}
