package io.nftpolicy.agent.reporting;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.crd.Condition;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodeSyncStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class StalePeersTest {
    private static final long S = 1_000_000_000L;
    private final StalePeers peers = new StalePeers("self", Duration.ofSeconds(45));

    private static NodePolicyStatus status(String node, String heartbeat, String ready) {
        NodePolicyStatus r = NodePolicyStatus.forNode(node);
        r.setStatus(new NodeSyncStatus(null, null, null, null, null, List.of(), null,
                List.of(new Condition(Condition.READY, ready, "Synced", "", "2026-12-07T00:00:00Z")), heartbeat));
        return r;
    }

    @Test
    void aHeartbeatThatDoesNotMoveForTheIntervalIsStale() {
        NodePolicyStatus peer = status("n2", "2026-12-07T00:00:00Z", Condition.TRUE);
        assertThat(peers.stale(List.of(peer), 0)).isEmpty();
        assertThat(peers.stale(List.of(peer), 44 * S)).isEmpty();
        assertThat(peers.stale(List.of(peer), 45 * S)).containsExactly(peer);
    }

    @Test
    void aMovingHeartbeatIsNeverStaleWhateverItsClockSays() {
        // The peer's clock is an hour behind: only the change counts, seen on this agent's clock.
        for (int t = 0; t < 10; t++) {
            String beat = Instant.parse("2026-12-06T23:00:00Z").plusSeconds(30L * t).toString();
            assertThat(peers.stale(List.of(status("n2", beat, Condition.TRUE)), t * 30 * S)).isEmpty();
        }
    }

    @Test
    void itselfAndPeersAlreadyUnknownAreLeftAlone() {
        NodePolicyStatus self = status("self", "2026-12-07T00:00:00Z", Condition.TRUE);
        NodePolicyStatus unknown = status("n3", "2026-12-07T00:00:00Z", Condition.UNKNOWN);
        peers.stale(List.of(self, unknown), 0);
        assertThat(peers.stale(List.of(self, unknown), 100 * S)).isEmpty();
    }
}
