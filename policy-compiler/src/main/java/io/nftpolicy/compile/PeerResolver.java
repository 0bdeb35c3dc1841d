package io.nftpolicy.compile;

import io.nftpolicy.cluster.Namespace;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the pods a selector peer stands for, from scratch. Many policies repeat the same peer (same selectors, same
 * namespace), so results are remembered for the duration of one compilation.
 */
final class PeerResolver implements Peers {
    private final ClusterIndex index;
    private final Map<AllowedPeer.Pods, List<ClusterIndex.Member>> cache = new HashMap<>();

    PeerResolver(ClusterIndex index) {
        this.index = index;
    }

    @Override
    public List<ClusterIndex.Member> pods(AllowedPeer.Pods peer) {
        return cache.computeIfAbsent(Peers.canonical(peer), this::resolve);
    }

    private List<ClusterIndex.Member> resolve(AllowedPeer.Pods peer) {
        List<ClusterIndex.Member> result = new ArrayList<>();
        if (peer.namespaces().isEmpty()) {
            addMatching(index.membersOf(peer.policyNamespace()), peer, result);
            return result;
        }
        for (Namespace ns : index.namespaces().values()) {
            if (peer.namespaces().get().matches(ns.labels())) {
                addMatching(index.membersOf(ns.name()), peer, result);
            }
        }
        return result;
    }

    private static void addMatching(List<ClusterIndex.Member> candidates, AllowedPeer.Pods peer,
                                    List<ClusterIndex.Member> into) {
        for (ClusterIndex.Member m : candidates) {
            if (Peers.selects(peer.pods(), m.labels())) {
                into.add(m);
            }
        }
    }
}
