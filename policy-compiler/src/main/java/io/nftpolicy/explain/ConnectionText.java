package io.nftpolicy.explain;

import io.nftpolicy.explain.Connection.Hop;
import io.nftpolicy.net.IpFamily;
import java.util.List;

/**
 * A connection as text for people: first what was decided and where (one line per table on the way), then each
 * table's full trace. Stable, like {@link TraceText}.
 */
public final class ConnectionText {
    private ConnectionText() {}

    /** The decision, then every table's trace. */
    public static String render(Connection c) {
        return render(c, true);
    }

    /** The decision and, with {@code traces}, every table's trace below it. */
    public static String render(Connection c, boolean traces) {
        StringBuilder out = new StringBuilder();
        out.append(headline(c)).append('\n');
        out.append("  from ").append(c.from().describe(c.packet().source())).append('\n');
        out.append("  to   ").append(c.to().describe(c.packet().destination())).append('\n');
        c.note().ifPresent(n -> out.append("  no table: ").append(n).append('\n'));
        for (int i = 0; i < c.hops().size(); i++) {
            Hop hop = c.hops().get(i);
            out.append("  ").append(i + 1).append(". ").append(where(hop)).append(": ")
                    .append(TraceText.summary(hop.trace())).append('\n');
        }
        // Apart from the decision, which staged policies never change.
        for (Hop hop : c.hops()) {
            hop.trace().staged().forEach(s -> out.append("  ").append(TraceText.staged(s)).append(" (on ")
                    .append(hop.node()).append(")\n"));
        }
        for (Hop hop : traces ? c.hops() : List.<Hop>of()) {
            out.append('\n').append("  trace on ").append(where(hop)).append(", ").append(hop.trace().packet())
                    .append('\n');
            out.append(TraceText.render(hop.trace(), "    "));
        }
        return out.toString();
    }

    /** e.g. {@code dev/frontend -> dev/db TCP/6379 IPv4: allowed}. */
    public static String headline(Connection c) {
        return c.from().name() + " -> " + c.to().name() + " " + c.packet().protocol().name() + "/" + c.packet().port()
                + " " + familyLabel(c.packet().family()) + ": " + (c.allowed() ? "allowed" : "denied");
    }

    /** e.g. {@code node-1 (source's node), hook forward}. */
    public static String where(Hop hop) {
        return hop.node() + " (" + hop.role() + "), hook " + hop.trace().hook().nftName();
    }

    public static String familyLabel(IpFamily family) {
        return family == IpFamily.IPV4 ? "IPv4" : "IPv6";
    }
}
