package io.nftpolicy.apiserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a command to its end, with a time limit, and keeps what it printed. */
final class Commands {
    private Commands() {}

    static CommandResult run(List<String> argv, Map<String, String> env, Duration timeout) {
        return run(argv, env, timeout, null);
    }

    /**
     * @param stderrLog where standard error goes as it is written (a build's progress), or null for a temporary file
     */
    static CommandResult run(List<String> argv, Map<String, String> env, Duration timeout, Path stderrLog) {
        Path out = null;
        Path err = stderrLog;
        try {
            out = Files.createTempFile("nftpolicy-command", ".out");
            if (err == null) {
                err = Files.createTempFile("nftpolicy-command", ".err");
            } else {
                Files.createDirectories(err.getParent());
            }
            ProcessBuilder builder = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor();
                throw new IllegalStateException(String.join(" ", argv) + ": still running after " + timeout
                        + "; stopped. Its errors:\n" + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new CommandResult(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", argv) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", argv) + ": interrupted", e);
        } finally {
            deleteQuietly(out);
            if (stderrLog == null) {
                deleteQuietly(err);
            }
        }
    }

    private static void deleteQuietly(Path file) {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException ignored) {
                // a temporary file left behind is harmless
            }
        }
    }
}
