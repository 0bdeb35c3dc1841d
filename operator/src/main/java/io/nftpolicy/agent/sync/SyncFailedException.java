package io.nftpolicy.agent.sync;

/** A step's sync failed (the kernel refused it, or compiling threw): the controller retries with {@link Backoff}. */
public final class SyncFailedException extends RuntimeException {
    public SyncFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
