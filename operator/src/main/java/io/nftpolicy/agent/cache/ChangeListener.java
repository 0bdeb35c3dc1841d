package io.nftpolicy.agent.cache;

/** Told of every change the cache takes in, on the informers' threads; must return quickly. */
@FunctionalInterface
public interface ChangeListener {
    /**
     * @param kind          Namespace, Pod or NetworkPolicy
     * @param key           namespace/name (name for a namespace)
     * @param receivedNanos {@link System#nanoTime()} when the informer delivered the change
     */
    void changed(String kind, String key, long receivedNanos);

    /**
     * After a relist changed {@code changes} records of {@code kind} (each also passed to {@link #changed}): news
     * that came from no informer event, so nothing else will start a sync for it.
     */
    default void relisted(String kind, int changes) {}
}
