package io.nftpolicy.agent.cache;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;

/** Test access to what the cache's informers store of each object. */
public final class ClusterCacheAccess {
    private ClusterCacheAccess() {}

    public static List<? extends HasMetadata> informerStore(ClusterCache cache, Class<? extends HasMetadata> type) {
        return cache.informerStore(type);
    }
}
