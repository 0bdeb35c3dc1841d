package io.nftpolicy.net;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeMap;
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

    public static <P extends Comparable<P>, L extends Comparable<L>> List<Cell<P, L>> of(
            List<Piece<P, L>> pieces, Domain<P> domain) {
        if (pieces.isEmpty()) {
            return List.of();
        }
        // A label becomes active at its first point and inactive at the point after its last. Events sorted by
        // point; at one point, deactivations and activations are applied together before the cell is emitted.
        List<Event<P, L>> events = new ArrayList<>(pieces.size() * 2);
        P domainEnd = null;
        for (Piece<P, L> p : pieces) {
            if (p.first().compareTo(p.last()) > 0) {
                throw new IllegalArgumentException("empty piece " + p);
            }
            events.add(new Event<>(p.first(), true, p.label()));
            if (domain.isMax().test(p.last())) {
                domainEnd = p.last();
            } else {
                events.add(new Event<>(domain.successor().apply(p.last()), false, p.label()));
            }
        }
        events.sort((a, b) -> a.point().compareTo(b.point()));

        List<Cell<P, L>> cells = new ArrayList<>();
        TreeMap<L, Integer> active = new TreeMap<>();
        SortedSet<L> current = null;
        int i = 0;
        while (i < events.size()) {
            P point = events.get(i).point();
            boolean changed = false;
            while (i < events.size() && events.get(i).point().compareTo(point) == 0) {
                Event<P, L> e = events.get(i++);
                if (e.activates()) {
                    changed |= active.merge(e.label(), 1, Integer::sum) == 1;
                } else {
                    changed |= active.computeIfPresent(e.label(), (k, n) -> n == 1 ? null : n - 1) == null;
                }
            }
            if (changed || current == null) {
                current = Collections.unmodifiableSortedSet(new TreeSet<>(active.keySet()));
            }
            if (active.isEmpty()) {
                continue;
            }
            P last = i < events.size() ? domain.predecessor().apply(events.get(i).point()) : domainEnd;
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

    private record Event<P, L>(P point, boolean activates, L label) {}
}
