package io.nftpolicy.compile;

import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.selector.Selector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the pods a selector peer stands for. Many policies repeat the same peer (same selectors, same namespace),
 * so results are remembered for the duration of one compilation.
 */
final class PeerResolver {
    private final ClusterIndex index;
    private final Map<AllowedPeer.Pods, List<ClusterIndex.Member>> cache = new HashMap<>();

    PeerResolver(ClusterIndex index) {
        this.index = index;
    }

    List<ClusterIndex.Member> pods(AllowedPeer.Pods peer) {
        // Without a namespaceSelector the peer is confined to the policy's namespace, so that is part of the key;
        // with one, the policy's namespace is irrelevant and peers from different namespaces share the result.
        AllowedPeer.Pods key = peer.namespaces().isPresent()
                ? new AllowedPeer.Pods("", peer.pods(), peer.namespaces()) : peer;
        return cache.computeIfAbsent(key, this::resolve);
    }

    private List<ClusterIndex.Member> resolve(AllowedPeer.Pods peer) {
        List<ClusterIndex.Member> result = new ArrayList<>();
        Optional<Selector> podSelector = peer.pods();
        if (peer.namespaces().isEmpty()) {
            addMatching(index.membersOf(peer.policyNamespace()), podSelector, result);
            return result;
        }
        Selector namespaceSelector = peer.namespaces().get();
        for (Namespace ns : index.namespaces().values()) {
            if (namespaceSelector.matches(ns.labels())) {
                addMatching(index.membersOf(ns.name()), podSelector, result);
            }
        }
        return result;
    }

    private static void addMatching(List<ClusterIndex.Member> candidates, Optional<Selector> selector,
                                    List<ClusterIndex.Member> into) {
        if (selector.isEmpty() || selector.get().selectsAll()) {
            into.addAll(candidates);
            return;
        }
        for (ClusterIndex.Member m : candidates) {
            if (selector.get().matches(m.labels())) {
                into.add(m);
            }
        }
    }
}
