package io.nftpolicy.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * The agent's log on standard error, as {@code nftpolicy run --log-format --log-level} ask: one line per event with
 * a timestamp, as text or as JSON (logback's own {@link JsonEncoder}: one object per line, with {@code timestamp} in
 * Unix milliseconds, {@code level}, {@code threadName}, {@code loggerName}, {@code formattedMessage} and, on error,
 * {@code throwable}). The level is nftpolicy's loggers'; libraries keep logging only warnings and errors.
 *
 * <p>Replaces logback.xml's appender of the command line (which has no timestamps) for the run's duration.
 */
record AgentLog(Format format, Level level) {
    /** The appender of logback.xml. */
    private static final String CLI_APPENDER = "STDERR";
    private static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX,UTC} %-5level %logger{0}: %msg%n";

    enum Format { TEXT, JSON }

    /** A level as the command line spells it: error, warn, info, debug or trace. */
    static Level parseLevel(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "error" -> Level.ERROR;
            case "warn" -> Level.WARN;
            case "info" -> Level.INFO;
            case "debug" -> Level.DEBUG;
            case "trace" -> Level.TRACE;
            default -> throw new IllegalArgumentException("not a log level: \"" + name
                    + "\" (error, warn, info, debug, trace)");
        };
    }

    /**
     * Routes the log through this format at this level.
     *
     * @return puts the previous configuration back (for an in-process run, as in tests); nothing when logback is not
     *     the SLF4J binding
     */
    Runnable apply() {
        if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return () -> { };
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Logger nftpolicy = context.getLogger("io.nftpolicy");
        Level previousLevel = nftpolicy.getLevel();
        Appender<ILoggingEvent> previous = root.getAppender(CLI_APPENDER);
        ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
        appender.setContext(context);
        appender.setName("nftpolicy-run");
        appender.setTarget("System.err");
        appender.setEncoder(encoder(context));
        appender.start();
        root.addAppender(appender);
        if (previous != null) {
            root.detachAppender(previous);
        }
        nftpolicy.setLevel(level);
        return () -> {
            nftpolicy.setLevel(previousLevel);
            if (previous != null) {
                root.addAppender(previous);
            }
            root.detachAppender(appender);
            appender.stop();
        };
    }

    private Encoder<ILoggingEvent> encoder(LoggerContext context) {
        if (format == Format.JSON) {
            JsonEncoder json = new JsonEncoder();
            json.setContext(context);
            // The message as written; its template and arguments, the context and sequence numbers are noise here.
            json.setWithFormattedMessage(true);
            json.setWithMessage(false);
            json.setWithArguments(false);
            json.setWithContext(false);
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.start();
            return json;
        }
        PatternLayoutEncoder text = new PatternLayoutEncoder();
        text.setContext(context);
        text.setPattern(TEXT_PATTERN);
        text.start();
        return text;
    }
}
