package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** A repeating warning: one line per interval, and the count of the lines held back in the next one. */
class RateLimitedLogTest {
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.nftpolicy.agent.RateLimitedLogTest");
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();

    @BeforeEach
    void capture() {
        lines.start();
        logger.addAppender(lines);
    }

    @AfterEach
    void release() {
        logger.detachAppender(lines);
    }

    @Test
    void aBurstLogsOnceAndTheNextLineCountsWhatWasHeldBack() throws InterruptedException {
        RateLimitedLog log = new RateLimitedLog(logger, Duration.ofSeconds(1));

        for (int i = 0; i < 5; i++) {
            log.warn("watching {} failed, retrying: {}", "Pod", "connection refused " + i);
        }
        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                .containsExactly("watching Pod failed, retrying: connection refused 0");

        Thread.sleep(1_100);
        log.warn("watching {} failed, retrying: {}", "Pod", "connection refused 5");

        assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "watching Pod failed, retrying: connection refused 0",
                "watching Pod failed, retrying: connection refused 5 (4 more since the last such line)");
    }
}
