package io.nftpolicy.compile;

import com.google.common.collect.ArrayListMultimap;
import com.google.common.collect.ListMultimap;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.SetElement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The pods of each selector peer, kept across compilations. A changed pod is offered only to the peers that can
 * cover it (those of its namespace, and those with a namespaceSelector), and each of them moves it in or out of its
 * members and of the elements of its sets; a relabelled namespace drops the peers whose namespaceSelector it
 * enters or leaves, to be resolved again when next asked. Peers no compilation asked for are forgotten.
 */
final class PeerCache implements Peers {
    /** Beyond this share of the cluster's pods changing at once, resolving again is cheaper than following. */
    private static final int REBUILD_DIVISOR = 8;

    private final ClusterState cluster;
    private final Map<AllowedPeer.Pods, Resolution> resolutions = new HashMap<>();
    /** Peers without a namespaceSelector, by the one namespace they look at. */
    private final ListMultimap<String, Resolution> byNamespace = ArrayListMultimap.create();
    /** Peers with a namespaceSelector: any namespace may hold their pods. */
    private final List<Resolution> acrossNamespaces = new ArrayList<>();
    private long generation;

    PeerCache(ClusterState cluster) {
        this.cluster = cluster;
    }

    /**
     * The pods of one peer, in namespace then name order, and the elements of the sets that hold them. Versions
     * count changes, so that whoever built something from a resolution knows whether it still holds.
     */
    final class Resolution {
        final AllowedPeer.Pods peer;
        private final TreeMap<ClusterState.ObjectName, ClusterIndex.Member> members = new TreeMap<>();
        private final Map<Object, Elements> elements = new HashMap<>(2);
        private List<ClusterIndex.Member> list;
        private long version;
        private long addressVersion;
        private long used;
        /** Set when the cache lets go of it: what was built from it may be stale. */
        private boolean dropped;

        private Resolution(AllowedPeer.Pods peer) {
            this.peer = peer;
            if (peer.namespaces().isEmpty()) {
                addMatching(cluster.membersOf(peer.policyNamespace()));
                return;
            }
            for (var ns : cluster.membersByNamespace().entrySet()) {
                if (peer.namespaces().get().matches(cluster.labels(ns.getKey()))) {
                    addMatching(ns.getValue().values());
                }
            }
        }

        private void addMatching(Iterable<ClusterIndex.Member> candidates) {
            for (ClusterIndex.Member m : candidates) {
                if (Peers.selects(peer.pods(), m.labels())) {
                    members.put(name(m), m);
                }
            }
        }

        /** Increases whenever a member comes, goes or changes. */
        long version() {
            return version;
        }

        /**
         * Increases whenever a member comes or goes, or changes its addresses or ports: what merged sets are built
         * from. A relabelled pod that stays a member leaves it as it was.
         */
        long addressVersion() {
            return addressVersion;
        }

        List<ClusterIndex.Member> members() {
            if (list == null) {
                list = List.copyOf(members.values());
            }
            return list;
        }

        boolean covers(ClusterIndex.Member m) {
            return m != null && Peers.covers(peer, m.pod().namespace(), cluster.labels(m.pod().namespace()), m.labels());
        }

        private void replace(ClusterIndex.Member before, ClusterIndex.Member after) {
            if (before != null) {
                members.remove(name(before));
            }
            if (after != null) {
                members.put(name(after), after);
            }
            list = null;
            version++;
            if (before == null || after == null || !before.addresses().equals(after.addresses())
                    || !before.ports().equals(after.ports())) {
                addressVersion++;
            }
            for (Elements e : elements.values()) {
                e.replace(before, after);
            }
        }

        private void flush() {
            elements.values().forEach(Elements::flush);
        }

        /** The set the spec describes, holding this peer's pods: rebuilt only when its elements changed. */
        Elements elements(SetSpec.OfPods spec) {
            return elements.computeIfAbsent(spec.contentKey(), k -> new Elements(this, spec, members.values()));
        }
    }

    /** The elements one kind of set holds for a peer's pods, by pod, in key order. */
    static final class Elements {
        final Resolution resolution;
        private final SetSpec.OfPods spec;
        private final TreeSet<SetElement> sorted = new TreeSet<>();
        private final Map<ClusterState.ObjectName, List<SetElement>> byPod = new HashMap<>();
        private final List<List<SetElement>> pending = new ArrayList<>();
        private List<SetElement> list;
        private long version;

        private Elements(Resolution resolution, SetSpec.OfPods spec, Iterable<ClusterIndex.Member> members) {
            this.resolution = resolution;
            this.spec = spec;
            for (ClusterIndex.Member m : members) {
                List<SetElement> own = spec.elementsOf(m);
                if (!own.isEmpty()) {
                    byPod.put(m.key(), own);
                    sorted.addAll(own);
                }
            }
        }

        /** Increases whenever an element comes or goes. */
        long version() {
            return version;
        }

        List<SetElement> list() {
            if (list == null) {
                list = List.copyOf(sorted);
            }
            return list;
        }

        private void replace(ClusterIndex.Member before, ClusterIndex.Member after) {
            ClusterState.ObjectName ref = (after != null ? after : before).key();
            List<SetElement> had = byPod.getOrDefault(ref, List.of());
            List<SetElement> now = after == null ? List.of() : spec.elementsOf(after);
            if (had.equals(now)) {
                return;
            }
            // Added once every change is in: within one update an address may move from one pod to another.
            had.forEach(sorted::remove);
            pending.add(now);
            if (now.isEmpty()) {
                byPod.remove(ref);
            } else {
                byPod.put(ref, now);
            }
            list = null;
            version++;
        }

        private void flush() {
            pending.forEach(sorted::addAll);
            pending.clear();
        }

        NamedSet set(SetSpec.OfPods named) {
            return named.withElements(list());
        }
    }

    @Override
    public List<ClusterIndex.Member> pods(AllowedPeer.Pods peer) {
        return resolution(peer).members();
    }

    /** The peer's resolution, resolved now if no compilation since the last sweep asked for it. */
    Resolution resolution(AllowedPeer.Pods peer) {
        AllowedPeer.Pods key = Peers.canonical(peer);
        Resolution r = resolutions.get(key);
        if (r == null) {
            r = new Resolution(key);
            resolutions.put(key, r);
            if (key.namespaces().isEmpty()) {
                byNamespace.put(key.policyNamespace(), r);
            } else {
                acrossNamespaces.add(r);
            }
        }
        r.used = generation;
        return r;
    }

    /** Whether the resolution is still the one kept for its peer (a sweep or a relabelling may have dropped it). */
    boolean current(Resolution r) {
        if (r.dropped) {
            return false;
        }
        r.used = generation;
        return true;
    }

    /** Follows the cluster's changes; then a new compilation starts. */
    void update(ClusterState.Changes changes) {
        generation++;
        if (changes.members().size() > 64 && changes.members().size() > cluster.podCount() / REBUILD_DIVISOR) {
            clear();
            return;
        }
        for (ClusterState.Relabelled ns : changes.namespaces()) {
            for (Iterator<Resolution> it = acrossNamespaces.iterator(); it.hasNext(); ) {
                Resolution r = it.next();
                if (r.peer.namespaces().get().matches(ns.before()) != r.peer.namespaces().get().matches(ns.after())) {
                    it.remove();
                    resolutions.remove(r.peer);
                    r.dropped = true;
                }
            }
        }
        List<Resolution> touched = new ArrayList<>();
        for (ClusterState.MemberChange change : changes.members()) {
            offer(byNamespace.get(change.namespace()), change, touched);
            offer(acrossNamespaces, change, touched);
        }
        touched.forEach(Resolution::flush);
    }

    private static void offer(List<Resolution> candidates, ClusterState.MemberChange change, List<Resolution> touched) {
        for (Resolution r : candidates) {
            boolean had = r.covers(change.before());
            boolean has = r.covers(change.after());
            if (had || has) {
                r.replace(had ? change.before() : null, has ? change.after() : null);
                touched.add(r);
            }
        }
    }

    /** Forgets the peers this compilation did not ask for. */
    void sweep() {
        if (resolutions.values().stream().allMatch(r -> r.used == generation)) {
            return;
        }
        resolutions.values().removeIf(r -> {
            r.dropped = r.used != generation;
            return r.dropped;
        });
        acrossNamespaces.removeIf(r -> r.used != generation);
        byNamespace.values().removeIf(r -> r.used != generation);
    }

    private void clear() {
        resolutions.values().forEach(r -> r.dropped = true);
        resolutions.clear();
        byNamespace.clear();
        acrossNamespaces.clear();
    }

    private static ClusterState.ObjectName name(ClusterIndex.Member m) {
        return m.key();
    }
}
