package io.nftpolicy.net;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Cuts overlapping labelled intervals into disjoint ones, each carrying every label that covers it.
 *
 * <p>nftables rejects overlapping elements in an interval set, yet policies overlap all the time (two rules, a pod
 * that is also inside an ipBlock). The compiler therefore hands nft disjoint intervals and keeps, per interval, the
 * provenance of everything that allowed it. Adjacent intervals with the same labels are merged.
 */
public final class Partition {
    private Partition() {}

    /** One labelled input interval, bounds inclusive. */
    public record Piece<P, L>(P first, P last, L label) {}

    /** One output interval with the labels that cover all of it. */
    public record Cell<P, L>(P first, P last, SortedSet<L> labels) {}

    /** The point arithmetic of a domain (addresses of one family, ports). */
    public record Domain<P>(UnaryOperator<P> successor, UnaryOperator<P> predecessor, Predicate<P> isMax) {}

    public static final Domain<IpAddress> ADDRESSES = new Domain<>(IpAddress::next, IpAddress::previous, IpAddress::isMax);
    public static final Domain<Integer> NUMBERS = new Domain<>(p -> p + 1, p -> p - 1, p -> p == Integer.MAX_VALUE);

    /**
     * The disjoint cells the pieces cover, in order. Labels must be consistent with equals (records, strings,
     * numbers are). Linear after sorting: labels are numbered once in label order, so the sweep counts them in an
     * array and each distinct set of labels becomes one shared {@code SortedSet}.
     */
    public static <P extends Comparable<P>, L extends Comparable<L>> List<Cell<P, L>> of(
            List<Piece<P, L>> pieces, Domain<P> domain) {
        if (pieces.isEmpty()) {
            return List.of();
        }
        Map<L, Integer> ids = new HashMap<>();
        for (Piece<P, L> p : pieces) {
            if (p.first().compareTo(p.last()) > 0) {
                throw new IllegalArgumentException("empty piece " + p);
            }
            ids.putIfAbsent(p.label(), 0);
        }
        List<L> labels = new ArrayList<>(ids.keySet());
        labels.sort(null);
        for (int i = 0; i < labels.size(); i++) {
            ids.put(labels.get(i), i);
        }
        // A label becomes active at its first point and inactive at the point after its last. At one point,
        // deactivations and activations are applied together before the cell is emitted.
        List<Event<P>> starts = new ArrayList<>(pieces.size());
        List<Event<P>> ends = new ArrayList<>(pieces.size());
        P domainEnd = null;
        for (Piece<P, L> p : pieces) {
            int id = ids.get(p.label());
            starts.add(new Event<>(p.first(), id));
            if (domain.isMax().test(p.last())) {
                domainEnd = p.last();
            } else {
                ends.add(new Event<>(domain.successor().apply(p.last()), id));
            }
        }
        starts.sort(null);
        ends.sort(null);

        List<Cell<P, L>> cells = new ArrayList<>();
        int[] counts = new int[labels.size()];
        BitSet active = new BitSet(labels.size());
        Map<BitSet, SortedSet<L>> sets = new HashMap<>();
        SortedSet<L> current = null;
        int s = 0;
        int e = 0;
        while (s < starts.size() || e < ends.size()) {
            P point = nextPoint(starts, s, ends, e);
            boolean changed = false;
            for (; e < ends.size() && ends.get(e).point().compareTo(point) == 0; e++) {
                int id = ends.get(e).label();
                if (--counts[id] == 0) {
                    active.clear(id);
                    changed = true;
                }
            }
            for (; s < starts.size() && starts.get(s).point().compareTo(point) == 0; s++) {
                int id = starts.get(s).label();
                if (counts[id]++ == 0) {
                    active.set(id);
                    changed = true;
                }
            }
            if (active.isEmpty()) {
                continue;
            }
            if (changed || current == null) {
                current = sets.get(active);
                if (current == null) {
                    BitSet key = (BitSet) active.clone(); // the sweep goes on changing active
                    current = labelsOf(key, labels);
                    sets.put(key, current);
                }
            }
            P next = nextPoint(starts, s, ends, e);
            P last = next != null ? domain.predecessor().apply(next) : domainEnd;
            Cell<P, L> previous = cells.isEmpty() ? null : cells.get(cells.size() - 1);
            if (previous != null && previous.labels().equals(current)
                    && domain.successor().apply(previous.last()).equals(point)) {
                cells.set(cells.size() - 1, new Cell<>(previous.first(), last, current));
            } else {
                cells.add(new Cell<>(point, last, current));
            }
        }
        return cells;
    }

    /** The earlier of the next start and the next end, or null when both are used up. */
    private static <P extends Comparable<P>> P nextPoint(List<Event<P>> starts, int s, List<Event<P>> ends, int e) {
        P start = s < starts.size() ? starts.get(s).point() : null;
        P end = e < ends.size() ? ends.get(e).point() : null;
        if (start == null || end == null) {
            return start == null ? end : start;
        }
        return start.compareTo(end) <= 0 ? start : end;
    }

    private static <L> SortedSet<L> labelsOf(BitSet active, List<L> labels) {
        TreeSet<L> set = new TreeSet<>();
        for (int i = active.nextSetBit(0); i >= 0; i = active.nextSetBit(i + 1)) {
            set.add(labels.get(i));
        }
        return Collections.unmodifiableSortedSet(set);
    }

    /** Where a label (by number) becomes active or inactive. */
    private record Event<P extends Comparable<P>>(P point, int label) implements Comparable<Event<P>> {
        @Override
        public int compareTo(Event<P> o) {
            return point.compareTo(o.point);
        }
    }
}
