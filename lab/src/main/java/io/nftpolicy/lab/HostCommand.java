package io.nftpolicy.lab;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code ip} and {@code nft}, feeding a script on stdin and keeping stderr for the error message: the tools'
 * own words are the most useful thing a failed lab step can report.
 */
final class HostCommand {
    private static final long TIMEOUT_SECONDS = 60;

    private HostCommand() {}

    /**
     * Runs {@code argv} with {@code stdin} and returns its stderr.
     *
     * @throws LabException when it cannot start, times out or exits non-zero; the message holds {@code what}, the
     *                      command line and stderr
     */
    static String run(String what, List<String> argv, String stdin) throws LabException {
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new LabException(what + ": cannot run " + String.join(" ", argv) + ": " + e.getMessage(), e);
        }
        // A writer thread of its own: a tool may report errors before it has read all of a large script, and
        // neither side may then wait on a full pipe.
        Thread writer = new Thread(() -> {
            try (OutputStream in = process.getOutputStream()) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                // The tool exited early; its stderr and exit status tell why.
            }
        }, "stdin-" + argv.get(0));
        writer.setDaemon(true);
        writer.start();
        try {
            String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new LabException(what + ": " + String.join(" ", argv) + " did not finish within "
                        + TIMEOUT_SECONDS + " s");
            }
            writer.join();
            if (process.exitValue() != 0) {
                throw new LabException(what + ": " + String.join(" ", argv) + " failed (exit " + process.exitValue()
                        + "): " + stderr.strip());
            }
            return stderr;
        } catch (IOException e) {
            process.destroyForcibly();
            throw new LabException(what + ": reading from " + argv.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new LabException(what + ": interrupted", e);
        }
    }
}
