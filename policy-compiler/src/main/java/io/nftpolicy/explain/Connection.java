package io.nftpolicy.explain;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A connection's first packet from end to end: through the table of each node it crosses, in order. A pod's
 * egress is decided on its own node and a pod's ingress on its own node, so a connection between pods of two
 * nodes passes two tables, and one between pods of one node passes one table once, which checks both.
 *
 * @param hops the tables the packet passes, in order, up to the one that drops it; none when no table of
 *             nftpolicy sees it
 * @param note why no table sees it, or what else the reader should know about the path; empty when nothing
 */
public record Connection(Party from, Party to, Packet packet, List<Hop> hops, Optional<String> note) {
    public Connection {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(packet, "packet");
        hops = List.copyOf(hops);
        Objects.requireNonNull(note, "note");
    }

    /** Every table on the way accepts the packet. */
    public boolean allowed() {
        return hops.stream().allMatch(h -> h.trace().accepted());
    }

    /** The first table that drops it. */
    public Optional<Hop> droppedAt() {
        return hops.stream().filter(h -> !h.trace().accepted()).findFirst();
    }

    /**
     * One node's table on the way.
     *
     * @param role which end's node it is, in words: {@code source's node}, {@code destination's node} or
     *             {@code node of both ends}
     */
    public record Hop(String node, String role, Trace trace) {}
}
