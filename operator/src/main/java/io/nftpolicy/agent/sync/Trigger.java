package io.nftpolicy.agent.sync;

/** Why a sync ran. */
public enum Trigger {
    /** The first sync after the agent started (the whole cluster, as listed). */
    STARTUP,
    /** Changes arrived from the informers. */
    EVENTS,
    /** The previous sync failed; this one re-reads the kernel's table and brings it to the model. */
    RETRY,
    /** The periodic read-back found the kernel's table different from what was applied. */
    DRIFT
}
