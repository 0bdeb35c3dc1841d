package io.nftpolicy.agent;

import com.google.common.util.concurrent.RateLimiter;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;

/**
 * A warning that repeats while a failure lasts (the API server away, a watch failing at every retry): at most one
 * line per interval, saying how many it held back since the last. Without it an outage fills the node's log.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final RateLimiter limiter;
    private final AtomicInteger heldBack = new AtomicInteger();

    /** @param interval at least one second: below that, Guava's limiter lets short bursts through */
    public RateLimitedLog(Logger log, Duration interval) {
        this.log = log;
        this.limiter = RateLimiter.create(1_000.0 / interval.toMillis());
    }

    /** Logs at WARN unless a line went out less than an interval ago; arguments as SLF4J's. */
    public void warn(String format, Object... arguments) {
        if (!limiter.tryAcquire()) {
            heldBack.incrementAndGet();
            return;
        }
        int held = heldBack.getAndSet(0);
        if (held == 0) {
            log.warn(format, arguments);
        } else {
            Object[] withCount = Arrays.copyOf(arguments, arguments.length + 1);
            withCount[arguments.length] = held;
            log.warn(format + " ({} more since the last such line)", withCount);
        }
    }
}
