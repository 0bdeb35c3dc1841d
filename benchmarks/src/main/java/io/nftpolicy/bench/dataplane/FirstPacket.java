package io.nftpolicy.bench.dataplane;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a new connection's first packet goes in one node's compiled ruleset: which pod chains it enters and at which
 * rule it is decided. Used only to choose what the benchmark probes (an allowed pair whose allowing rule is not the
 * first one evaluated, and a denied pair); the kernel then confirms each choice, so a mistake here makes the
 * benchmark refuse to run rather than measure the wrong thing.
 *
 * <p>Reads the rule shapes the compiler emits in pod chains (peer set, port set, peer·protocol·port set, bare
 * verdicts) and fails on any other shape.
 */
final class FirstPacket {
    /** How a chain decided: its verdict and the 1-based position of the deciding rule. */
    record Decision(String verdict, int rule) {}

    /** The outcome on one node: egress (null when the source is not isolated there), then ingress (likewise). */
    record Outcome(Decision egress, Decision ingress) {
        boolean allowed() {
            return (egress == null || egress.verdict().equals("return"))
                    && (ingress == null || ingress.verdict().equals("accept"));
        }
    }

    private static final Pattern RULE = Pattern.compile(
            "(?:ip6? (saddr|daddr)( \\. meta l4proto \\. th dport)? @(\\S+) )?(?:meta l4proto \\. th dport @(\\S+) )?"
                    + "(accept|return|drop)");

    private final Map<String, Chain> chains = new HashMap<>();
    private final Map<String, Map<IpAddress, String>> dispatch = new HashMap<>(); // map name → address → chain
    private final Map<String, SetIndex> sets = new HashMap<>();

    FirstPacket(Ruleset ruleset) {
        ruleset.chains().forEach(c -> chains.put(c.name(), c));
        for (VerdictMap map : ruleset.maps()) {
            Map<IpAddress, String> byAddress = new HashMap<>();
            for (MapElement e : map.elements()) {
                byAddress.put(e.key(), e.chain());
            }
            dispatch.put(map.name(), byAddress);
        }
        ruleset.sets().forEach(s -> sets.put(s.name(), new SetIndex(s)));
    }

    /** The first packet of a TCP or UDP connection from {@code source} to {@code destination} on {@code port}. */
    Outcome walk(IpAddress source, IpAddress destination, Protocol protocol, int port) {
        String suffix = source.family().suffix();
        Decision egress = decide(dispatch.getOrDefault("egress-" + suffix, Map.of()).get(source),
                source, destination, protocol, port);
        if (egress != null && egress.verdict().equals("drop")) {
            return new Outcome(egress, null);
        }
        Decision ingress = decide(dispatch.getOrDefault("ingress-" + suffix, Map.of()).get(destination),
                source, destination, protocol, port);
        return new Outcome(egress, ingress);
    }

    /** Rules in the ingress chain of a local destination, 0 when it is not isolated for ingress. */
    int chainLength(IpAddress destination) {
        String chain = dispatch.getOrDefault("ingress-" + destination.family().suffix(), Map.of()).get(destination);
        return chain == null ? 0 : chains.get(chain).rules().size();
    }

    private Decision decide(String chainName, IpAddress source, IpAddress destination, Protocol protocol, int port) {
        if (chainName == null) {
            return null;
        }
        List<Rule> rules = chains.get(chainName).rules();
        for (int i = 0; i < rules.size(); i++) {
            String statement = rules.get(i).statement();
            if (statement.equals(EstablishedFlows.RESET)) {
                continue; // judges established flows only
            }
            if (statement.equals(EstablishedFlows.DROP)) {
                statement = "drop"; // and marks the flow denied, which a first packet's verdict does not depend on
            }
            Matcher m = RULE.matcher(statement);
            if (!m.matches()) {
                throw new IllegalStateException("chain " + chainName + ": rule shape not understood: " + statement);
            }
            boolean matches = true;
            if (m.group(3) != null) {
                IpAddress address = m.group(1).equals("saddr") ? source : destination;
                matches = m.group(2) != null ? set(m.group(3)).contains(address, protocol, port)
                        : set(m.group(3)).contains(address, null, -1);
            }
            if (matches && m.group(4) != null) {
                matches = set(m.group(4)).contains(null, protocol, port);
            }
            if (matches) {
                return new Decision(m.group(5), i + 1);
            }
        }
        throw new IllegalStateException("chain " + chainName + " has no final verdict");
    }

    private SetIndex set(String name) {
        SetIndex index = sets.get(name);
        if (index == null) {
            throw new IllegalStateException("rule names set " + name + ", which the ruleset lacks");
        }
        return index;
    }

    /** Membership in a set of addresses, protocol·port pairs, or address·protocol·port triples. */
    private static final class SetIndex {
        private final Map<IpAddress, List<List<KeyPart>>> bySingleAddress = new HashMap<>();
        private final List<List<KeyPart>> others = new ArrayList<>();

        SetIndex(NamedSet set) {
            for (SetElement element : set.elements()) {
                KeyPart first = element.key().get(0);
                if (first instanceof KeyPart.Addresses a && a.range().first().equals(a.range().last())) {
                    bySingleAddress.computeIfAbsent(a.range().first(), k -> new ArrayList<>()).add(element.key());
                } else {
                    others.add(element.key());
                }
            }
        }

        boolean contains(IpAddress address, Protocol protocol, int port) {
            if (address != null) {
                for (List<KeyPart> key : bySingleAddress.getOrDefault(address, List.of())) {
                    if (matches(key, address, protocol, port)) {
                        return true;
                    }
                }
            }
            for (List<KeyPart> key : others) {
                if (matches(key, address, protocol, port)) {
                    return true;
                }
            }
            return false;
        }

        private static boolean matches(List<KeyPart> key, IpAddress address, Protocol protocol, int port) {
            for (KeyPart part : key) {
                boolean ok;
                if (part instanceof KeyPart.Addresses a) {
                    ok = address != null && a.range().contains(address);
                } else if (part instanceof KeyPart.Proto p) {
                    ok = p.protocol() == protocol;
                } else {
                    KeyPart.Ports ports = (KeyPart.Ports) part;
                    ok = port >= ports.first() && port <= ports.last();
                }
                if (!ok) {
                    return false;
                }
            }
            return true;
        }
    }
}
