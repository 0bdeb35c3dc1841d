package io.nftpolicy.compile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Matches the objects of a snapshot's list with those of the previous one, cheaply: the same instance at the same
 * position, else the same instance anywhere, else an equal object of the same namespace and name. The agent passes
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
        long seen;

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
    private final IdentityHashMap<T, E> byInstance = new IdentityHashMap<>();
    private final Map<ClusterState.ObjectName, E> byName = new HashMap<>();
    private long generation;

    ObjectTracker(Function<T, ClusterState.ObjectName> nameOf, Function<T, E> track) {
        this.nameOf = nameOf;
        this.track = track;
    }

    /**
     * Takes in the next list and tells what changed, in no particular order.
     *
     * @return null when the list holds two objects of one namespace and name (the API server never sends that);
     *     the tracker is then unusable
     */
    @SuppressWarnings("unchecked")
    List<Change<E>> update(List<T> objects) {
        long gen = ++generation;
        Object[] entries = new Object[objects.size()];
        List<Change<E>> changes = new ArrayList<>();
        Map<ClusterState.ObjectName, E> added = new HashMap<>();
        int kept = 0;
        for (int i = 0; i < entries.length; i++) {
            T object = objects.get(i);
            E e = i < last.size() && last.get(i) == object ? (E) lastEntries[i] : byInstance.get(object);
            if (e == null) {
                ClusterState.ObjectName name = nameOf.apply(object);
                E old = byName.get(name);
                if (old != null && old.seen != gen && old.object.equals(object)) {
                    byInstance.remove(old.object);
                    byInstance.put(object, old);
                    old.object = object;
                    e = old;
                } else {
                    if ((old != null && old.seen == gen) || added.containsKey(name)) {
                        return null;
                    }
                    e = track.apply(object);
                    e.seen = gen;
                    added.put(name, e);
                    changes.add(new Change<>(old, e));
                    if (old != null) {
                        old.seen = gen; // replaced, not removed
                        kept++;
                    }
                    entries[i] = e;
                    continue;
                }
            }
            if (e.seen == gen) {
                return null;
            }
            e.seen = gen;
            entries[i] = e;
            kept++;
        }
        if (kept < byName.size()) {
            for (E old : byName.values()) {
                if (old.seen != gen) {
                    changes.add(new Change<>(old, null));
                }
            }
        }
        for (Change<E> c : changes) {
            if (c.before() != null) {
                byInstance.remove(c.before().object);
                byName.remove(c.before().name);
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
        return changes;
    }

    E get(ClusterState.ObjectName name) {
        return byName.get(name);
    }

    int size() {
        return byName.size();
    }
}
