package io.nftpolicy.compile;

import io.nftpolicy.selector.Selector;
import java.util.List;
import java.util.Optional;

/**
 * The pods a selector peer stands for, in namespace then name order. Answered from scratch for one compilation
 * ({@link PeerResolver}) or kept up to date across compilations ({@link PeerCache}).
 */
interface Peers {
    /** The peer of an empty {@code from}/{@code to} as far as pods go: every pod of the cluster. */
    AllowedPeer.Pods EVERY_POD = new AllowedPeer.Pods("", Optional.empty(), Optional.of(Selector.all()));

    List<ClusterIndex.Member> pods(AllowedPeer.Pods peer);

    default List<ClusterIndex.Member> everyPod() {
        return pods(EVERY_POD);
    }

    /**
     * The peer as a cache key. Without a namespaceSelector the peer is confined to the policy's namespace, so that
     * is part of the key; with one, the policy's namespace is irrelevant and peers from different namespaces share it.
     */
    static AllowedPeer.Pods canonical(AllowedPeer.Pods peer) {
        return peer.namespaces().isPresent() && !peer.policyNamespace().isEmpty()
                ? new AllowedPeer.Pods("", peer.pods(), peer.namespaces()) : peer;
    }

    /** Whether the peer covers a pod with these labels in a namespace with these labels. */
    static boolean covers(AllowedPeer.Pods peer, String namespace, java.util.Map<String, String> namespaceLabels,
                          java.util.Map<String, String> podLabels) {
        boolean inScope = peer.namespaces().isEmpty()
                ? peer.policyNamespace().equals(namespace) : peer.namespaces().get().matches(namespaceLabels);
        return inScope && selects(peer.pods(), podLabels);
    }

    static boolean selects(Optional<Selector> podSelector, java.util.Map<String, String> podLabels) {
        return podSelector.isEmpty() || podSelector.get().selectsAll() || podSelector.get().matches(podLabels);
    }
}
