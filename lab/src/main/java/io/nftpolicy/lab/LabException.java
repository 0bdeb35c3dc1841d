package io.nftpolicy.lab;

/**
 * The lab could not be built or changed. Checked, because a half-built lab is something callers must decide about
 * (a test fails, the sandbox command prints the reason); the message carries the underlying tool's own words.
 */
public final class LabException extends Exception {
    private static final long serialVersionUID = 1L;

    public LabException(String message) {
        super(message);
    }

    public LabException(String message, Throwable cause) {
        super(message, cause);
    }
}
