package io.nftpolicy.agent.sync;

import io.javaoperatorsdk.operator.processing.retry.Retry;
import io.javaoperatorsdk.operator.processing.retry.RetryExecution;
import java.time.Duration;
import java.util.Optional;

/**
 * The controller's retry after a failed step: {@code initial}, then doubling up to {@code max}, without end (the
 * kernel must come back to the model whatever happened). Not JOSDK's {@code GenericRetry}: in 5.2.3 its first two
 * delays are both the initial interval (100, 100, 200, 400 ms: {@code GenericRetryExecution.nextDelay} multiplies
 * only from the third attempt), where the agent has always doubled from the first (AgentTest's 100/200/400/800 ms).
 */
public record Backoff(Duration initial, Duration max) implements Retry {
    public static Backoff of(SyncLoop.Options options) {
        return new Backoff(options.initialBackoff(), options.maxBackoff());
    }

    /** The wait after the {@code failures}-th consecutive failure (1 for the first). */
    public Duration delay(int failures) {
        long nanos = initial.toNanos();
        for (int i = 1; i < failures && nanos < max.toNanos(); i++) {
            nanos *= 2;
        }
        return Duration.ofNanos(Math.min(nanos, max.toNanos()));
    }

    @Override
    public RetryExecution initExecution() {
        return new RetryExecution() {
            private int attempts;

            @Override
            public Optional<Long> nextDelay() {
                return Optional.of(delay(++attempts).toMillis());
            }

            @Override
            public boolean isLastAttempt() {
                return false;
            }

            @Override
            public int getAttemptCount() {
                return attempts;
            }
        };
    }
}
