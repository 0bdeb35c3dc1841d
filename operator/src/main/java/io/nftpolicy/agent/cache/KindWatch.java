package io.nftpolicy.agent.cache;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.Set;

/**
 * What {@link ClusterCache} needs of the informer that feeds one kind: whether it has listed and watches now (a
 * watch seen back after a break makes the kind relisted), and what its store holds.
 */
public interface KindWatch {
    boolean hasSynced();

    boolean isWatching();

    /** The store's keys as the records are keyed: namespace/name, or name for cluster-scoped kinds. */
    Set<String> keys();

    /** What the store keeps of each object (reduced: key, resourceVersion). */
    List<? extends HasMetadata> stored();

    /** A fabric8 informer of the cache's own. */
    static KindWatch of(SharedIndexInformer<?> informer) {
        return new KindWatch() {
            @Override
            public boolean hasSynced() {
                return informer.hasSynced();
            }

            @Override
            public boolean isWatching() {
                return informer.isWatching();
            }

            @Override
            public Set<String> keys() {
                return Set.copyOf(informer.getStore().listKeys());
            }

            @Override
            public List<? extends HasMetadata> stored() {
                return informer.getStore().list().stream().map(HasMetadata.class::cast).toList();
            }
        };
    }
}
