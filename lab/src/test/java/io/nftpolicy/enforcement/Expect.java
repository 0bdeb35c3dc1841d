package io.nftpolicy.enforcement;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The expected from→to matrix of one endpoint, written as a few strokes applied in order, the way the upstream
 * suite builds its Reachability: start from "everything connected", then {@code denyTo("x/*")}, then
 * {@code allow("y/*", "x/a")}, and so on; a later stroke overrides an earlier one for the cells it covers.
 *
 * <p>Patterns: {@code *} every pod, {@code x/*} every pod of namespace x, {@code *}{@code /a} pod a of every
 * namespace, {@code x/a} one pod. Cells of a pod towards itself are never compared (the upstream suite ignores them:
 * loopback does not reach the node).
 */
final class Expect {
    private record Stroke(String from, String to, boolean allowed) {}

    private final Endpoint endpoint;
    private final Set<IpFamily> families = EnumSet.of(IpFamily.IPV4);
    private final List<Stroke> strokes = new ArrayList<>();

    private Expect(Endpoint endpoint) {
        this.endpoint = endpoint;
    }

    /** Everything connected on this endpoint, over IPv4. */
    static Expect expect(Endpoint endpoint) {
        return new Expect(endpoint);
    }

    /** Over these families (pairs where one end lacks the family are left out). */
    Expect over(IpFamily... families) {
        this.families.clear();
        this.families.addAll(List.of(families));
        return this;
    }

    Expect allowAll() {
        return allow("*", "*");
    }

    Expect denyAll() {
        return deny("*", "*");
    }

    Expect allow(String from, String to) {
        strokes.add(new Stroke(from, to, true));
        return this;
    }

    Expect deny(String from, String to) {
        strokes.add(new Stroke(from, to, false));
        return this;
    }

    /** Nothing reaches these pods (ingress isolation without allowances). */
    Expect denyTo(String... to) {
        for (String t : to) {
            deny("*", t);
        }
        return this;
    }

    /** These pods reach nothing (egress isolation without allowances). */
    Expect denyFrom(String... from) {
        for (String f : from) {
            deny(f, "*");
        }
        return this;
    }

    /** {@code allowTo("x/a", "y/*", "z/c")}: these sources reach x/a. */
    Expect allowTo(String to, String... from) {
        for (String f : from) {
            allow(f, to);
        }
        return this;
    }

    /** {@code allowFrom("x/a", "y/b")}: x/a reaches these destinations. */
    Expect allowFrom(String from, String... to) {
        for (String t : to) {
            allow(from, t);
        }
        return this;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    Set<IpFamily> families() {
        return families;
    }

    boolean allowed(String from, String to) {
        boolean allowed = true;
        for (Stroke s : strokes) {
            if (matches(s.from(), from) && matches(s.to(), to)) {
                allowed = s.allowed();
            }
        }
        return allowed;
    }

    static boolean matches(String pattern, String pod) {
        if (pattern.equals("*")) {
            return true;
        }
        String[] p = pattern.split("/", 2);
        String[] n = pod.split("/", 2);
        return (p[0].equals("*") || p[0].equals(n[0])) && (p[1].equals("*") || p[1].equals(n[1]));
    }
}
