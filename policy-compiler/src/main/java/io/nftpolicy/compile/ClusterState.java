package io.nftpolicy.compile;

import com.google.common.collect.ListMultimap;
import com.google.common.collect.MultimapBuilder;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;

/**
 * The pods and namespaces of a cluster as {@link ClusterIndex} arranges them, kept up to date from one snapshot to
 * the next: each new snapshot is compared with the previous one (by identity first, then by value) and only the
 * pods that differ are looked at again. Reports which members changed and which namespaces were relabelled.
 */
final class ClusterState {

    /**
     * A pod's or policy's namespace and name, ordered as the compiler orders them (namespace, then name); for a pod
     * also its uid, which tells it from an earlier or later pod of the same name.
     */
    record ObjectName(String namespace, String name, String uid) implements Comparable<ObjectName> {
        ObjectName(String namespace, String name) {
            this(namespace, name, "");
        }

        static ObjectName of(Pod pod) {
            return new ObjectName(pod.namespace(), pod.name(), pod.uid());
        }

        @Override
        public int compareTo(ObjectName o) {
            int c = namespace.compareTo(o.namespace);
            c = c != 0 ? c : name.compareTo(o.name);
            return c != 0 ? c : uid.compareTo(o.uid);
        }

        String ref() {
            return namespace + "/" + name;
        }
    }

    /** A member that appeared, left or changed; {@code before} or {@code after} is null when there is none. */
    record MemberChange(ClusterIndex.Member before, ClusterIndex.Member after) {
        String namespace() {
            return (after != null ? after : before).pod().namespace();
        }
    }

    /** A namespace whose labels (as policies see them) changed. */
    record Relabelled(String name, Map<String, String> before, Map<String, String> after) {}

    /** What changed since the previous snapshot. */
    record Changes(List<MemberChange> members, List<Relabelled> namespaces) {
        boolean isEmpty() {
            return members.isEmpty() && namespaces.isEmpty();
        }
    }

    private static final class PodEntry extends ObjectTracker.Entry<Pod> {
        /** The addresses claimed; empty unless the pod takes part in policy. */
        final List<ClusterIndex.Claim> claims;
        /** The valid addresses among the claims, each once. */
        final List<IpAddress> addresses;
        ClusterIndex.Member member;
        List<Diagnostic> diagnostics = List.of();

        PodEntry(Pod pod) {
            super(pod, ObjectName.of(pod));
            this.claims = pod.participates() ? ClusterIndex.claims(pod) : List.of();
            this.addresses = ClusterIndex.distinctAddresses(claims);
        }
    }

    /** Pods are told apart by uid: a pod re-created under its name is another pod, whatever the order of events. */
    private final ObjectTracker<Pod, PodEntry> pods = new ObjectTracker<>(ObjectName::of, PodEntry::new);
    /** Claimants of each address, in {@link ClusterIndex#CLAIM_ORDER}. */
    private final ListMultimap<IpAddress, PodEntry> claimants = MultimapBuilder.hashKeys().arrayListValues(1).build();
    /** The addresses more than one pod claims. */
    private final Set<IpAddress> contestedAddresses = new HashSet<>();
    private final TreeMap<String, TreeMap<ObjectName, ClusterIndex.Member>> membersByNamespace = new TreeMap<>();
    private final TreeMap<ObjectName, List<Diagnostic>> diagnostics = new TreeMap<>();
    private final int[] addressesPerFamily = new int[IpFamily.values().length];
    private Map<String, Namespace> namespaces = Map.of();

    /**
     * Takes in the next snapshot's pods and namespaces.
     *
     * @return what changed, or null when the snapshot holds two pods of one uid (then the state is unusable and
     *     the caller starts over with a new one; the API server never sends such a snapshot)
     */
    Changes update(List<Pod> podList, List<Namespace> namespaceList) {
        List<ObjectTracker.Change<PodEntry>> changed = pods.update(podList);
        if (changed == null) {
            return null;
        }
        List<Relabelled> relabelled = namespaces(namespaceList);
        return new Changes(apply(changed), relabelled);
    }

    private List<MemberChange> apply(List<ObjectTracker.Change<PodEntry>> changed) {
        if (changed.isEmpty()) {
            return List.of();
        }
        // Claims change first, so that ownership is decided on the new claims. Pods sharing an address with a changed
        // pod may gain or lose it: they are looked at again too.
        Set<ObjectName> contested = new TreeSet<>();
        Map<ObjectName, PodEntry[]> affected = new TreeMap<>();
        for (ObjectTracker.Change<PodEntry> c : changed) {
            if (c.before() != null) {
                for (IpAddress address : c.before().addresses) {
                    unclaim(address, c.before(), contested);
                }
            }
            affected.put((c.after() != null ? c.after() : c.before()).name, new PodEntry[] {c.before(), c.after()});
        }
        for (ObjectTracker.Change<PodEntry> c : changed) {
            if (c.after() != null) {
                for (IpAddress address : c.after().addresses) {
                    claim(address, c.after(), contested);
                }
            }
        }
        for (ObjectName name : contested) {
            PodEntry e = pods.get(name);
            if (e != null && !affected.containsKey(name)) {
                affected.put(name, new PodEntry[] {e, e});
            }
        }
        List<MemberChange> changes = new ArrayList<>();
        for (PodEntry[] pair : affected.values()) {
            ClusterIndex.Member before = pair[0] == null ? null : pair[0].member;
            PodEntry now = pair[1];
            ClusterIndex.Member after = null;
            if (now != null) {
                if (now.object.participates()) {
                    List<Diagnostic> problems = new ArrayList<>(0);
                    after = ClusterIndex.member(now.object, now.claims, this::claimantPods, problems);
                    if (before != null && pair[0] == now && before.sameAddresses(after)) {
                        after = before; // an unchanged pod that shares an address: it keeps what it had
                    }
                    now.diagnostics = List.copyOf(problems);
                } else {
                    now.diagnostics = List.of();
                }
                now.member = after;
                if (now.diagnostics.isEmpty()) {
                    diagnostics.remove(now.name);
                } else {
                    diagnostics.put(now.name, now.diagnostics);
                }
            } else {
                diagnostics.remove(pair[0].name);
            }
            if (before == after) {
                continue;
            }
            if (before != null) {
                remove(before);
            }
            if (after != null) {
                add(after);
            }
            changes.add(new MemberChange(before, after));
        }
        return changes;
    }

    private void remove(ClusterIndex.Member m) {
        TreeMap<ObjectName, ClusterIndex.Member> ns = membersByNamespace.get(m.pod().namespace());
        ns.remove(m.key());
        if (ns.isEmpty()) {
            membersByNamespace.remove(m.pod().namespace());
        }
        m.addresses().forEach(a -> addressesPerFamily[a.family().ordinal()]--);
    }

    private void add(ClusterIndex.Member m) {
        membersByNamespace.computeIfAbsent(m.pod().namespace(), n -> new TreeMap<>()).put(m.key(), m);
        m.addresses().forEach(a -> addressesPerFamily[a.family().ordinal()]++);
    }

    private void claim(IpAddress address, PodEntry pod, Set<ObjectName> contested) {
        claimants.put(address, pod);
        List<PodEntry> all = claimants.get(address);
        if (all.size() > 1) {
            all.sort((x, y) -> ClusterIndex.CLAIM_ORDER.compare(x.object, y.object));
            contestedAddresses.add(address);
            all.forEach(e -> contested.add(e.name));
        }
    }

    private void unclaim(IpAddress address, PodEntry pod, Set<ObjectName> contested) {
        if (!claimants.remove(address, pod)) {
            return;
        }
        List<PodEntry> all = claimants.get(address);
        all.forEach(e -> contested.add(e.name));
        if (all.size() < 2) {
            contestedAddresses.remove(address);
        }
    }

    /** The pods that claim an address, in {@link ClusterIndex#CLAIM_ORDER}: the first one owns it. */
    private List<Pod> claimantPods(IpAddress address) {
        List<PodEntry> all = claimants.get(address);
        List<Pod> pods = new ArrayList<>(all.size());
        all.forEach(e -> pods.add(e.object));
        return pods;
    }

    /**
     * Calls {@code action} with each address that more than one live pod claims, and their members in
     * {@link ClusterIndex#CLAIM_ORDER}.
     */
    void forEachContested(BiConsumer<IpAddress, List<ClusterIndex.Member>> action) {
        for (IpAddress address : contestedAddresses) {
            List<PodEntry> all = claimants.get(address);
            List<ClusterIndex.Member> members = new ArrayList<>(all.size());
            all.forEach(e -> members.add(e.member));
            action.accept(address, members);
        }
    }

    private List<Relabelled> namespaces(List<Namespace> list) {
        Map<String, Namespace> now = new HashMap<>(list.size() * 2);
        for (Namespace ns : list) {
            now.put(ns.name(), ns); // a name given twice: the last one counts, as in ClusterIndex
        }
        List<Relabelled> relabelled = new ArrayList<>();
        Set<String> names = new HashSet<>(now.keySet());
        names.addAll(namespaces.keySet());
        for (String name : names) {
            Namespace before = namespaces.get(name);
            Namespace after = now.get(name);
            if (before != after && (before == null || after == null || !before.labels().equals(after.labels()))) {
                Map<String, String> b = labelsOf(name, before);
                Map<String, String> a = labelsOf(name, after);
                if (!a.equals(b)) {
                    relabelled.add(new Relabelled(name, b, a));
                }
            }
        }
        namespaces = now;
        return relabelled;
    }

    private static Map<String, String> labelsOf(String name, Namespace ns) {
        return (ns != null ? ns : new Namespace(name, Map.of())).labels();
    }

    /** A namespace's labels; a namespace the snapshot does not list has its name label only, as in ClusterIndex. */
    Map<String, String> labels(String namespace) {
        return labelsOf(namespace, namespaces.get(namespace));
    }

    /** Namespaces that have members, in name order, each with its members in name order. */
    Map<String, TreeMap<ObjectName, ClusterIndex.Member>> membersByNamespace() {
        return membersByNamespace;
    }

    Collection<ClusterIndex.Member> membersOf(String namespace) {
        TreeMap<ObjectName, ClusterIndex.Member> members = membersByNamespace.get(namespace);
        return members == null ? List.of() : members.values();
    }

    int podCount() {
        return pods.size();
    }

    /** As {@link ClusterIndex#families()}. */
    Set<IpFamily> families() {
        Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
        for (IpFamily f : IpFamily.values()) {
            if (addressesPerFamily[f.ordinal()] > 0) {
                families.add(f);
            }
        }
        return families.isEmpty() ? EnumSet.of(IpFamily.IPV4) : families;
    }

    /** What is wrong with the pods, in namespace/name order. */
    Collection<List<Diagnostic>> diagnostics() {
        return diagnostics.values();
    }
}
