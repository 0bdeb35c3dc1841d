package io.nftpolicy.cli;

/**
 * An error the user can fix (a bad input file, a missing tool, not being root): reported as one line,
 * {@code nftpolicy: error: <message>}, never with a stack trace unless --debug is given.
 */
public final class UserException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    UserException(String message) {
        this(message, null);
    }

    UserException(String message, Throwable cause) {
        this(message, cause, ExitCodes.ERROR);
    }

    UserException(String message, Throwable cause, int exitCode) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }
}
