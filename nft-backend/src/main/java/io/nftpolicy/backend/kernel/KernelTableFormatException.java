package io.nftpolicy.backend.kernel;

/**
 * The kernel's listing of the table could not be read: malformed JSON (with the offset, line and column), or JSON
 * that does not describe a table of the kind nftpolicy writes (with the path of the offending value, e.g.
 * {@code nftables[7].set.elem[2]}). A table that cannot be read back is best treated as drifted.
 */
public final class KernelTableFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public KernelTableFormatException(String message) {
        super(message);
    }

    public KernelTableFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
