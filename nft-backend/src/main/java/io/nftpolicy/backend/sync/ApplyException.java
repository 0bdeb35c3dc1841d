package io.nftpolicy.backend.sync;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * nft or the kernel refused a transaction (or the table could not be read back). Nothing of the refused
 * transaction was applied: the kernel applies a transaction all or nothing.
 *
 * <p>{@link #nftError()} is libnftables' own error text, the most useful thing to show;
 * {@link #failingCommand()} is the script's command that it points at, when it points at one.
 */
public class ApplyException extends Exception {
    private final String nftError;
    private final String failingCommand;

    public ApplyException(String message, String nftError, String failingCommand) {
        super(message + (nftError == null || nftError.isBlank() ? "" : ": " + nftError.strip()));
        this.nftError = nftError == null ? "" : nftError;
        this.failingCommand = failingCommand;
    }

    public ApplyException(String message, Throwable cause) {
        super(message + (cause.getMessage() == null ? "" : ": " + cause.getMessage()), cause);
        this.nftError = "";
        this.failingCommand = null;
    }

    /**
     * The exception for a script that nft refused with {@code errorText}, naming the failing command: nft quotes
     * the offending line of the script under each {@code Error:} line (then marks the position with carets).
     */
    public static ApplyException refused(String what, String script, String errorText) {
        return new ApplyException(what, errorText, failingCommand(script, errorText).orElse(null));
    }

    /** The first line of {@code script} that nft's error text quotes, if any. */
    public static Optional<String> failingCommand(String script, String errorText) {
        if (script == null || errorText == null) {
            return Optional.empty();
        }
        Set<String> commands = new LinkedHashSet<>();
        for (String line : script.split("\n")) {
            if (!line.isBlank()) {
                commands.add(line.strip());
            }
        }
        for (String line : errorText.split("\n")) {
            if (commands.contains(line.strip())) {
                return Optional.of(line.strip());
            }
        }
        return Optional.empty();
    }

    public String nftError() {
        return nftError;
    }

    public Optional<String> failingCommand() {
        return Optional.ofNullable(failingCommand);
    }
}
