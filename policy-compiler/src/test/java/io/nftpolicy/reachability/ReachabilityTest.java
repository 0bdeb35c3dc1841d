package io.nftpolicy.reachability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.net.IpFamily;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.junit.jupiter.api.Test;

class ReachabilityTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint UDP81 = Endpoint.udp(81);
    private static final List<String> PODS = List.of("x/a", "x/bb", "longer-ns/c");

    /** x/a cannot reach longer-ns/c on TCP/80 IPv4; everything else connects; IPv6 only for TCP/80. */
    private static Reachability sample() {
        Map<Reachability.Cell, Boolean> cells = new LinkedHashMap<>();
        for (Endpoint endpoint : List.of(TCP80, UDP81)) {
            for (IpFamily family : IpFamily.values()) {
                if (endpoint.equals(UDP81) && family == IpFamily.IPV6) {
                    continue;
                }
                for (String from : PODS) {
                    for (String to : PODS) {
                        boolean blocked = endpoint.equals(TCP80) && family == IpFamily.IPV4
                                && from.equals("x/a") && to.equals("longer-ns/c");
                        cells.put(new Reachability.Cell(endpoint, family, from, to), !blocked);
                    }
                }
            }
        }
        return new Reachability(cells);
    }

    @Test
    void rendersOneAlignedTablePerEndpointAndFamily() {
        assertThat(sample().render()).isEqualTo("""
                TCP/80 IPv4
                            x/a         x/bb        longer-ns/c
                x/a         .           .           X
                x/bb        .           .           .
                longer-ns/c .           .           .

                TCP/80 IPv6
                            x/a         x/bb        longer-ns/c
                x/a         .           .           .
                x/bb        .           .           .
                longer-ns/c .           .           .

                UDP/81 IPv4
                            x/a         x/bb        longer-ns/c
                x/a         .           .           .
                x/bb        .           .           .
                longer-ns/c .           .           .
                """);
    }

    @Test
    void parseReadsRenderBack() {
        Reachability original = sample();
        Reachability parsed = Reachability.parse(original.render());
        assertThat(parsed).isEqualTo(original);
        assertThat(parsed.render()).isEqualTo(original.render());
        assertThat(parsed.allowed(TCP80, IpFamily.IPV4, "x/a", "longer-ns/c")).isFalse();
        assertThat(parsed.allowed(TCP80, IpFamily.IPV4, "x/bb", "longer-ns/c")).isTrue();
    }

    @Test
    void parseAcceptsHandWrittenTablesWithCornerMarkCommentsAndGaps() {
        Reachability parsed = Reachability.parse("""
                # expectation for a deny-all on y/b
                udp/80   ipv6
                -   x/a y/b
                x/a  .   x
                y/b  -   .
                """);
        assertThat(parsed.cells()).containsExactly(
                Map.entry(new Reachability.Cell(Endpoint.udp(80), IpFamily.IPV6, "x/a", "x/a"), true),
                Map.entry(new Reachability.Cell(Endpoint.udp(80), IpFamily.IPV6, "x/a", "y/b"), false),
                Map.entry(new Reachability.Cell(Endpoint.udp(80), IpFamily.IPV6, "y/b", "y/b"), true));
        assertThat(parsed.render()).contains("y/b -   .");
    }

    @Test
    void parseNamesTheBadLine() {
        assertThatThrownBy(() -> Reachability.parse("TCP/80 IPv4\n  a b\na . ?\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 3");
        assertThatThrownBy(() -> Reachability.parse("TCP/80 IPv4\n  a b\na .\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 3")
                .hasMessageContaining("2 cells");
        assertThatThrownBy(() -> Reachability.parse("a b\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("table header");
    }

    @Test
    void differencesListOnlyCellsOfTheExpectationThatDisagree() {
        Reachability actual = sample();
        Reachability expected = Reachability.parse("""
                TCP/80 IPv4
                     x/a x/bb longer-ns/c
                x/a  .   .    .
                x/bb .   X    .

                SCTP/80 IPv4
                     x/a
                x/a  .
                """);
        assertThat(actual.differences(expected)).containsExactly(
                "x/a -> longer-ns/c TCP/80 IPv4: expected ., got X",
                "x/bb -> x/bb TCP/80 IPv4: expected X, got .",
                "x/a -> x/a SCTP/80 IPv4: expected ., got nothing (not probed)");
        assertThat(actual.differences(actual)).isEmpty();
        assertThat(actual.differences(new Reachability(Map.of()))).isEmpty();
    }

    @Test
    void allowedRefusesCellsThatWereNotProbed() {
        assertThatThrownBy(() -> sample().allowed(UDP81, IpFamily.IPV6, "x/a", "x/a"))
                .isInstanceOf(NoSuchElementException.class).hasMessageContaining("UDP/81 IPv6");
    }
}
