package io.nftpolicy.backend.nflog;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;

/**
 * How many connection attempts were dropped without a line since the last report: over the rate limit (the log
 * chains' counters), or lost because the reader fell behind (the socket's buffer was full).
 *
 * @param suppressed dropped over the rate limit, not logged
 * @param lost       times the kernel could not queue log messages for the reader (each may be several)
 */
@JsonPropertyOrder({"time", "node", "suppressed", "lost"})
public record Suppressed(Instant time, String node, long suppressed, long lost) {
    public String toText() {
        return time + " " + node + " " + suppressed + " drops not logged (over the rate limit)"
                + (lost == 0 ? "" : ", " + lost + " log bursts lost (reader too slow)");
    }
}
