package io.nftpolicy.snapshot;

/**
 * A snapshot file that cannot be used: unreadable, not YAML/JSON, or holding an object that cannot be understood.
 * The message is one line meant for a person, starting with the file and, when known, {@code line:column}.
 */
public final class SnapshotException extends Exception {
    private static final long serialVersionUID = 1L;

    public SnapshotException(String message) {
        super(oneLine(message));
    }

    public SnapshotException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    static String oneLine(String text) {
        return text == null ? "" : text.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
