package io.nftpolicy.agent.sync;

import io.nftpolicy.backend.sync.Drift;

/**
 * Told what the sync loop did, on the loop's own thread (drift checks: on the drift thread when there is one):
 * implementations must be thread-safe, return quickly and hand anything slow (API calls) to a thread of their own. An exception thrown here is logged and does not stop the loop.
 */
public interface SyncObserver {
    /** After every sync, successful or not. */
    default void synced(SyncReport report) {}

    /**
     * After every periodic drift check (a whole read-back on the worker, or a cycle of steps on the drift thread,
     * {@code durationNanos} then their reading time summed); a non-empty drift is followed by a repair sync.
     */
    default void driftChecked(Drift drift, long durationNanos) {}
}
