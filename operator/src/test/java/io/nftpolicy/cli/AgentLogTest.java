package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The run command's log: text or JSON lines with timestamps, at the level asked, and the CLI's log afterwards. */
class AgentLogTest {
    private static final Logger AGENT = LoggerFactory.getLogger("io.nftpolicy.agent.AgentLogTest");

    /** What {@code logged} wrote to standard error while {@code log} was applied. */
    private static String stderrWhile(AgentLog log, Runnable logged) {
        return captureStderr(() -> {
            Runnable restore = log.apply();
            try {
                logged.run();
            } finally {
                restore.run();
            }
            return null;
        });
    }

    private static String captureStderr(Supplier<Void> action) {
        PrintStream original = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.get();
        } finally {
            System.setErr(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonIsOneObjectPerLineWithTimestampLevelLoggerAndTheFormattedMessage() throws Exception {
        long before = Instant.now().toEpochMilli();

        String err = stderrWhile(new AgentLog(AgentLog.Format.JSON, Level.INFO),
                () -> AGENT.info("applied {} operations", 42));

        assertThat(err.lines()).hasSize(1);
        JsonNode line = new ObjectMapper().readTree(err);
        assertThat(line.get("timestamp").asLong()).isBetween(before, Instant.now().toEpochMilli());
        assertThat(line.get("level").asText()).isEqualTo("INFO");
        assertThat(line.get("loggerName").asText()).isEqualTo("io.nftpolicy.agent.AgentLogTest");
        assertThat(line.get("formattedMessage").asText()).isEqualTo("applied 42 operations");
    }

    @Test
    void textStartsWithAnIsoTimestampInUtc() {
        String err = stderrWhile(new AgentLog(AgentLog.Format.TEXT, Level.INFO), () -> AGENT.info("synced"));

        assertThat(err).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z INFO  AgentLogTest: synced\\n");
    }

    @Test
    void theLevelFiltersNftpolicysLoggers() {
        String atWarn = stderrWhile(new AgentLog(AgentLog.Format.TEXT, Level.WARN), () -> {
            AGENT.info("not shown");
            AGENT.warn("shown");
        });
        String atDebug = stderrWhile(new AgentLog(AgentLog.Format.TEXT, Level.DEBUG), () -> AGENT.debug("details"));

        assertThat(atWarn).doesNotContain("not shown").contains("WARN  AgentLogTest: shown");
        assertThat(atDebug).contains("DEBUG AgentLogTest: details");
    }

    @Test
    void librariesKeepLoggingOnlyProblems() {
        Logger library = LoggerFactory.getLogger("io.fabric8.kubernetes.client.Something");

        String err = stderrWhile(new AgentLog(AgentLog.Format.TEXT, Level.DEBUG), () -> {
            library.info("chatty");
            library.warn("a problem");
        });

        assertThat(err).doesNotContain("chatty").contains("WARN  Something: a problem");
    }

    @Test
    void restoringPutsTheCommandLinesFormatBack() {
        stderrWhile(new AgentLog(AgentLog.Format.JSON, Level.DEBUG), () -> { });

        String err = captureStderr(() -> {
            AGENT.warn("after the run");
            AGENT.info("quiet again");
            return null;
        });

        assertThat(err).isEqualTo("nftpolicy: WARN: AgentLogTest: after the run\n");
    }

    @Test
    void levelsAreTheFiveUsualOnes() {
        assertThat(AgentLog.parseLevel("debug")).isEqualTo(Level.DEBUG);
        assertThat(AgentLog.parseLevel("WARN")).isEqualTo(Level.WARN);
        assertThatThrownBy(() -> AgentLog.parseLevel("verbose")).hasMessageContaining("not a log level: \"verbose\"");
        assertThatThrownBy(() -> AgentLog.parseLevel("off")).hasMessageContaining("not a log level");
    }
}
