package io.nftpolicy.agent.reporting;

import io.nftpolicy.crd.Condition;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodeSyncStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which other nodes' agents have stopped reporting: those whose heartbeat has not moved for {@code after} while
 * their Ready is not Unknown yet. A crashed agent cannot say that it stopped; its peers say it for it.
 *
 * <p>Time is this agent's own ({@link System#nanoTime()}), counted from when it saw each heartbeat change, not the
 * peer's heartbeat timestamp: clocks of two nodes may differ, the time since a change was seen does not. A newly
 * started agent therefore waits {@code after} before it marks anything.
 *
 * <p>Used from one thread (the controller's, after a reconcile).
 */
public final class StalePeers {
    private record Seen(String heartbeat, long atNanos) {}

    private final String self;
    private final long afterNanos;
    private final Map<String, Seen> seen = new HashMap<>();

    public StalePeers(String self, Duration after) {
        this.self = Objects.requireNonNull(self, "self");
        this.afterNanos = after.toNanos();
    }

    /** The statuses, of {@code all}, to mark Ready=Unknown at {@code nowNanos}. */
    public List<NodePolicyStatus> stale(List<NodePolicyStatus> all, long nowNanos) {
        List<NodePolicyStatus> out = new ArrayList<>();
        Map<String, Seen> now = new HashMap<>();
        for (NodePolicyStatus resource : all) {
            String name = resource.getMetadata().getName();
            NodeSyncStatus status = resource.getStatus();
            if (name.equals(self) || status == null || status.heartbeatTime() == null) {
                continue;
            }
            Seen before = seen.get(name);
            Seen current = before != null && before.heartbeat().equals(status.heartbeatTime()) ? before
                    : new Seen(status.heartbeatTime(), nowNanos);
            now.put(name, current);
            boolean ready = status.condition(Condition.READY).map(c -> !c.status().equals(Condition.UNKNOWN))
                    .orElse(false);
            if (ready && nowNanos - current.atNanos() - afterNanos >= 0) {
                out.add(resource);
            }
        }
        seen.clear();
        seen.putAll(now);
        return out;
    }
}
