package io.nftpolicy.compile;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates a compiled ruleset for the first packet of a connection, the way the kernel's forward hook would, over
 * the rule forms the compiler emits. It lets unit tests state verdicts ("x/a may reach y/b on TCP 80") without
 * depending on the table's layout; the kernel tests in nft-backend prove the same verdicts on the real kernel.
 * A statement it does not understand fails the test rather than being skipped.
 */
final class FakeKernel {
    private static final Pattern VERDICT = Pattern.compile("(accept|return|drop)");
    private static final Pattern PORTS_ONLY = Pattern.compile("meta l4proto \\. th dport @(\\S+) (accept|return)");
    private static final Pattern ADDRESS_SET = Pattern.compile(
            "(ip6?) (saddr|daddr) @(\\S+)(?: meta l4proto \\. th dport @(\\S+))? (accept|return)");
    private static final Pattern CONCAT_SET = Pattern.compile(
            "(ip6?) (saddr|daddr) \\. meta l4proto \\. th dport @(\\S+) (accept|return)");
    private static final Pattern DISPATCH = Pattern.compile("(ip6?) (saddr|daddr) vmap @(\\S+)");

    private final Ruleset ruleset;

    FakeKernel(Ruleset ruleset) {
        this.ruleset = ruleset;
    }

    /** Whether the forward hook lets a new connection from src to dst on protocol/port through. */
    boolean forwards(String src, String dst, Protocol protocol, int port) {
        Packet packet = new Packet(IpAddress.parse(src), IpAddress.parse(dst), protocol, port);
        Chain forward = chain("filter-forward");
        for (Rule rule : forward.rules()) {
            Matcher dispatch = DISPATCH.matcher(rule.statement());
            if (!dispatch.matches()) {
                continue; // established/related and neighbour discovery: not the first packet of a TCP/UDP flow
            }
            IpAddress key = dispatch.group(2).equals("saddr") ? packet.src() : packet.dst();
            if (!familyMatches(dispatch.group(1), key)) {
                continue;
            }
            VerdictMap map = ruleset.maps().stream().filter(m -> m.name().equals(dispatch.group(3))).findFirst().orElseThrow();
            for (MapElement e : map.elements()) {
                if (e.key().equals(key)) {
                    String verdict = run(chain(e.chain()), packet);
                    if (verdict.equals("drop")) {
                        return false;
                    }
                    if (verdict.equals("accept")) {
                        return true;
                    }
                }
            }
        }
        return true;
    }

    private String run(Chain chain, Packet packet) {
        for (Rule rule : chain.rules()) {
            String s = rule.statement();
            Matcher m;
            if (VERDICT.matcher(s).matches()) {
                return s;
            } else if ((m = PORTS_ONLY.matcher(s)).matches()) {
                if (portSetContains(set(m.group(1)), packet)) {
                    return m.group(2);
                }
            } else if ((m = ADDRESS_SET.matcher(s)).matches()) {
                IpAddress address = m.group(2).equals("saddr") ? packet.src() : packet.dst();
                if (familyMatches(m.group(1), address) && setContains(set(m.group(3)), List.of(address), packet, false)
                        && (m.group(4) == null || portSetContains(set(m.group(4)), packet))) {
                    return m.group(5);
                }
            } else if ((m = CONCAT_SET.matcher(s)).matches()) {
                IpAddress address = m.group(2).equals("saddr") ? packet.src() : packet.dst();
                if (familyMatches(m.group(1), address) && setContains(set(m.group(3)), List.of(address), packet, true)) {
                    return m.group(4);
                }
            } else {
                throw new AssertionError("FakeKernel does not understand: " + s);
            }
        }
        return "return";
    }

    private static boolean familyMatches(String payload, IpAddress address) {
        return payload.equals("ip") == (address.family() == io.nftpolicy.net.IpFamily.IPV4);
    }

    private static boolean setContains(NamedSet set, List<IpAddress> address, Packet packet, boolean withPorts) {
        for (SetElement e : set.elements()) {
            IpRange range = ((KeyPart.Addresses) e.key().get(0)).range();
            if (!range.contains(address.get(0))) {
                continue;
            }
            if (!withPorts) {
                return true;
            }
            KeyPart.Proto proto = (KeyPart.Proto) e.key().get(1);
            KeyPart.Ports ports = (KeyPart.Ports) e.key().get(2);
            if (proto.protocol() == packet.protocol() && ports.first() <= packet.port() && packet.port() <= ports.last()) {
                return true;
            }
        }
        return false;
    }

    private static boolean portSetContains(NamedSet set, Packet packet) {
        for (SetElement e : set.elements()) {
            KeyPart.Proto proto = (KeyPart.Proto) e.key().get(0);
            KeyPart.Ports ports = (KeyPart.Ports) e.key().get(1);
            if (proto.protocol() == packet.protocol() && ports.first() <= packet.port() && packet.port() <= ports.last()) {
                return true;
            }
        }
        return false;
    }

    private NamedSet set(String name) {
        return ruleset.sets().stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("rule names a set that does not exist: " + name));
    }

    private Chain chain(String name) {
        return ruleset.chains().stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no chain " + name));
    }

    private record Packet(IpAddress src, IpAddress dst, Protocol protocol, int port) {}
}
