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
        // A label becomes active at its first point and inactive at the point after its last.
        TreeMap<P, List<L>> activate = new TreeMap<>();
        TreeMap<P, List<L>> deactivate = new TreeMap<>();
        P domainEnd = null;
        for (Piece<P, L> p : pieces) {
            if (p.first().compareTo(p.last()) > 0) {
                throw new IllegalArgumentException("empty piece " + p);
            }
            activate.computeIfAbsent(p.first(), k -> new ArrayList<>()).add(p.label());
            if (domain.isMax().test(p.last())) {
                domainEnd = p.last();
            } else {
                deactivate.computeIfAbsent(domain.successor().apply(p.last()), k -> new ArrayList<>()).add(p.label());
            }
        }
        TreeSet<P> boundaries = new TreeSet<>(activate.keySet());
        boundaries.addAll(deactivate.keySet());
        List<P> points = new ArrayList<>(boundaries);

        List<Cell<P, L>> cells = new ArrayList<>();
        TreeMap<L, Integer> active = new TreeMap<>();
        for (int i = 0; i < points.size(); i++) {
            P point = points.get(i);
            for (L l : deactivate.getOrDefault(point, List.of())) {
                active.computeIfPresent(l, (k, n) -> n == 1 ? null : n - 1);
            }
            for (L l : activate.getOrDefault(point, List.of())) {
                active.merge(l, 1, Integer::sum);
            }
            if (active.isEmpty()) {
                continue;
            }
            P last = i + 1 < points.size() ? domain.predecessor().apply(points.get(i + 1)) : domainEnd;
            SortedSet<L> labels = Collections.unmodifiableSortedSet(new TreeSet<>(active.keySet()));
            Cell<P, L> previous = cells.isEmpty() ? null : cells.get(cells.size() - 1);
            if (previous != null && previous.labels().equals(labels)
                    && domain.successor().apply(previous.last()).equals(point)) {
                cells.set(cells.size() - 1, new Cell<>(previous.first(), last, labels));
            } else {
                cells.add(new Cell<>(point, last, labels));
            }
        }
        return cells;
    }
}
