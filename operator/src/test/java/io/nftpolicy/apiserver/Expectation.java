package io.nftpolicy.apiserver;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Which pairs connect, written as strokes applied in order the way the upstream e2e suite writes its Reachability:
 * start from "everything connected", then {@code deny("*", "x/*")}, then {@code allow("y/*", "x/*", 80)}; a later
 * stroke overrides an earlier one for the cells it covers. Patterns: {@code *}, {@code x/*}, {@code *}{@code /a},
 * {@code x/a}. A pod's connections to itself are left out (upstream ignores them).
 */
final class Expectation {
    /** {@code port} null: every port; {@code protocol} null: both protocols. */
    private record Stroke(String from, String to, Integer port, Protocol protocol, boolean allowed) {}

    private final List<Stroke> strokes = new ArrayList<>();

    Expectation allow(String from, String to) {
        strokes.add(new Stroke(from, to, null, null, true));
        return this;
    }

    Expectation allow(String from, String to, int port) {
        strokes.add(new Stroke(from, to, port, null, true));
        return this;
    }

    /** Allowed on this endpoint only (its port and protocol). */
    Expectation allow(String from, String to, Endpoint endpoint) {
        strokes.add(new Stroke(from, to, endpoint.port(), endpoint.protocol(), true));
        return this;
    }

    Expectation deny(String from, String to) {
        strokes.add(new Stroke(from, to, null, null, false));
        return this;
    }

    /** The expected IPv4 matrix between these pods on these endpoints. */
    Reachability over(List<String> pods, List<Endpoint> endpoints) {
        Map<Reachability.Cell, Boolean> cells = new LinkedHashMap<>();
        for (Endpoint endpoint : endpoints) {
            for (String from : pods) {
                for (String to : pods) {
                    if (!from.equals(to)) {
                        cells.put(new Reachability.Cell(endpoint, IpFamily.IPV4, from, to),
                                allowed(from, to, endpoint));
                    }
                }
            }
        }
        return new Reachability(cells);
    }

    private boolean allowed(String from, String to, Endpoint endpoint) {
        boolean allowed = true;
        for (Stroke s : strokes) {
            if (matches(s.from(), from) && matches(s.to(), to) && (s.port() == null || s.port() == endpoint.port())
                    && (s.protocol() == null || s.protocol() == endpoint.protocol())) {
                allowed = s.allowed();
            }
        }
        return allowed;
    }

    private static boolean matches(String pattern, String pod) {
        if (pattern.equals("*")) {
            return true;
        }
        String[] p = pattern.split("/", 2);
        String[] n = pod.split("/", 2);
        return (p[0].equals("*") || p[0].equals(n[0])) && (p[1].equals("*") || p[1].equals(n[1]));
    }
}
