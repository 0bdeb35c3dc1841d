package io.nftpolicy.backend.netns;

/**
 * A thread could not enter (or create) a network namespace. Checked, because the caller decides what a missing
 * namespace means: {@code apply --netns} reports it, the lab fails to build; the message carries the kernel's words.
 */
public final class NetnsException extends Exception {
    private static final long serialVersionUID = 1L;

    public NetnsException(String message, Throwable cause) {
        super(message, cause);
    }
}
