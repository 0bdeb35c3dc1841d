package io.nftpolicy.compile;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Matches the objects of a snapshot's list with those of the previous one, cheaply: the same instance at the same
 * position, else the same instance anywhere, else an equal object of the same namespace and name (and, for a pod, uid). The agent passes
 * the same instances for unchanged objects, so a list of 10,000 unchanged pods costs one pass of identity checks.
 *
 * @param <T> the object (a Pod, a NetworkPolicy)
 * @param <E> what is kept per object
 */
final class ObjectTracker<T, E extends ObjectTracker.Entry<T>> {

    /** What is kept for one object. */
    abstract static class Entry<T> {
        T object;
        final ClusterState.ObjectName name;
        /** Where its mark is kept: marks sit in one array, so that checking 10,000 objects touches no entry. */
        int slot = -1;

        Entry(T object, ClusterState.ObjectName name) {
            this.object = object;
            this.name = name;
        }
    }

    /** An object that appeared, left or changed: {@code before} or {@code after} is null when there is none. */
    record Change<E>(E before, E after) {}

    private final Function<T, ClusterState.ObjectName> nameOf;
    private final Function<T, E> track;
    private List<T> last = List.of();
    private Object[] lastEntries = new Object[0];
    private int[] lastSlots = new int[0];
    private final IdentityHashMap<T, E> byInstance = new IdentityHashMap<>();
    private final Map<ClusterState.ObjectName, E> byName = new HashMap<>();
    /** Per slot, the last update that met its entry. */
    private long[] seen = new long[16];
    private int[] freeSlots = new int[16];
    private int free;
    private int slots;
    private long generation;

    ObjectTracker(Function<T, ClusterState.ObjectName> nameOf, Function<T, E> track) {
        this.nameOf = nameOf;
        this.track = track;
    }

    /**
     * Takes in the next list and tells what changed, in no particular order.
     *
     * @return null when the list holds two objects of one key (namespace and name, and uid for pods: the API server
     *     never sends that);
     *     the tracker is then unusable
     */
    @SuppressWarnings("unchecked")
    List<Change<E>> update(List<T> objects) {
        long gen = ++generation;
        int n = objects.size();
        Object[] entries = new Object[n];
        int[] entrySlots = new int[n];
        List<Change<E>> changes = new ArrayList<>();
        Map<ClusterState.ObjectName, E> added = new HashMap<>();
        int kept = 0;
        int lastSize = last.size();
        for (int i = 0; i < n; i++) {
            T object = objects.get(i);
            E e;
            int slot;
            if (i < lastSize && last.get(i) == object) {
                e = (E) lastEntries[i];
                slot = lastSlots[i];
            } else {
                e = byInstance.get(object);
                slot = e == null ? -1 : e.slot;
            }
            if (e == null) {
                ClusterState.ObjectName name = nameOf.apply(object);
                E old = byName.get(name);
                if (old != null && seen[old.slot] != gen && old.object.equals(object)) {
                    byInstance.remove(old.object);
                    byInstance.put(object, old);
                    old.object = object;
                    e = old;
                    slot = old.slot;
                } else {
                    if ((old != null && seen[old.slot] == gen) || added.containsKey(name)) {
                        return null;
                    }
                    e = track.apply(object);
                    e.slot = allocate();
                    seen[e.slot] = gen;
                    added.put(name, e);
                    changes.add(new Change<>(old, e));
                    if (old != null) {
                        seen[old.slot] = gen; // replaced, not removed
                        kept++;
                    }
                    entries[i] = e;
                    entrySlots[i] = e.slot;
                    continue;
                }
            }
            if (seen[slot] == gen) {
                return null;
            }
            seen[slot] = gen;
            entries[i] = e;
            entrySlots[i] = slot;
            kept++;
        }
        if (kept < byName.size()) {
            for (int j = 0; j < lastSize; j++) {
                if (seen[lastSlots[j]] != gen) {
                    changes.add(new Change<>((E) lastEntries[j], null));
                }
            }
        }
        for (Change<E> c : changes) {
            if (c.before() != null) {
                byInstance.remove(c.before().object);
                byName.remove(c.before().name);
                release(c.before().slot);
            }
        }
        for (Change<E> c : changes) {
            if (c.after() != null) {
                byInstance.put(c.after().object, c.after());
                byName.put(c.after().name, c.after());
            }
        }
        last = objects;
        lastEntries = entries;
        lastSlots = entrySlots;
        return changes;
    }

    private int allocate() {
        if (free > 0) {
            return freeSlots[--free];
        }
        if (slots == seen.length) {
            seen = Arrays.copyOf(seen, slots * 2);
        }
        return slots++;
    }

    private void release(int slot) {
        if (free == freeSlots.length) {
            freeSlots = Arrays.copyOf(freeSlots, free * 2);
        }
        seen[slot] = 0;
        freeSlots[free++] = slot;
    }

    E get(ClusterState.ObjectName name) {
        return byName.get(name);
    }

    int size() {
        return byName.size();
    }
}
