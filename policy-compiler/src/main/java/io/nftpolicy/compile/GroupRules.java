package io.nftpolicy.compile;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The allow rules of one group chain, one per policy peer, each matching a shared peer set and a shared set of
 * ports. A rule per peer makes the table read like the policies (each rule's comment names its policy, rule and
 * peer) and lets peers share sets across chains. The rules need only the sets' names, so a chain is laid out
 * without knowing which pods its peers cover: the sets are filled apart ({@link SetSpec}).
 *
 * <p>Per-packet cost is bounded: a chain gets at most {@link #MAX_RULES} such rules. A group whose policies name
 * more peers than that is compiled into merged sets instead (see {@link Allowances}), which cost two lookups per
 * family however many policies contribute.
 */
final class GroupRules {
    static final int MAX_RULES = 8;

    /** The allow rules of a group chain and the shared sets they look up, in the order the rules name them. */
    record Plan(List<Rule> rules, List<SetSpec> sets) {}

    private final PodGroup group;
    private final Set<IpFamily> families;
    private final List<Rule> rules = new ArrayList<>();
    private final List<SetSpec> sets = new ArrayList<>();

    private GroupRules(PodGroup group, Set<IpFamily> families) {
        this.group = group;
        this.families = families;
    }

    /**
     * Empty when the group names too many peers for a rule each. Depends only on the group's policies, its named
     * port resolution (part of its key) and the families: not on which pods the peers cover.
     */
    static Optional<Plan> plan(PodGroup group, Set<IpFamily> families) {
        return new GroupRules(group, families).plan();
    }

    private Optional<Plan> plan() {
        int limit = MAX_RULES * families.size();
        for (ValidPolicy policy : group.policies) {
            for (AllowRule rule : policy.rules(group.direction)) {
                if (rule.peers().isEmpty()) {
                    everyPeer(rule, new Source(policy.ref(), group.direction, rule.index(), -1));
                }
                for (int i = 0; i < rule.peers().size(); i++) {
                    Source source = new Source(policy.ref(), group.direction, rule.index(), i);
                    AllowedPeer peer = rule.peers().get(i);
                    if (peer instanceof AllowedPeer.Block block) {
                        blockPeer(rule, block, source);
                    } else {
                        podPeer(rule, (AllowedPeer.Pods) peer, source);
                    }
                    if (rules.size() > limit) {
                        return Optional.empty(); // at once: a rule of 10,000 ipBlocks need not be laid out first
                    }
                }
                if (rules.size() > limit) {
                    return Optional.empty();
                }
            }
        }
        return Optional.of(new Plan(List.copyOf(rules), List.copyOf(sets)));
    }

    private String use(SetSpec spec) {
        sets.add(spec);
        return spec.name();
    }

    private void everyPeer(AllowRule rule, Source source) {
        String verdict = verdict(group);
        if (rule.ports().isEmpty()) {
            rules.add(new Rule(verdict, source.toString(), List.of(source)));
            return;
        }
        inlinePorts(rule).ifPresent(ports ->
                rules.add(new Rule(ports + " " + verdict, source.toString(), List.of(source))));
        List<AllowedPort.Named> named = egressNamedPorts(group, rule);
        if (!named.isEmpty()) {
            for (IpFamily family : families) {
                String set = use(PeerSets.namedPorts("every pod", "every pod, by named port " + describe(named),
                        Peers.EVERY_POD, named, family));
                rules.add(new Rule(family.nftPayload() + " daddr . meta l4proto . th dport @" + set + " " + verdict,
                        source.toString(), List.of(source)));
            }
        }
    }

    private void blockPeer(AllowRule rule, AllowedPeer.Block block, Source source) {
        if (block.ranges().isEmpty()) {
            return; // its excepts cover the whole cidr: the peer matches nothing
        }
        Optional<String> ports = rule.ports().isEmpty() ? Optional.of("") : inlinePorts(rule);
        IpFamily family = block.ranges().get(0).family();
        if (ports.isPresent()) {
            String set = use(PeerSets.block("ipBlock " + block.description(), block.ranges(), family));
            rules.add(new Rule(match(group, family, set, ports.get()), source.toString(), List.of(source)));
        }
        // Egress named ports resolve on the destination pod that holds the address, as the reference does; an
        // address in the block that is no pod's has no names.
        List<AllowedPort.Named> named = egressNamedPorts(group, rule);
        if (!named.isEmpty()) {
            String set = use(PeerSets.blockNamedPorts("pods in ipBlock " + block.description() + ", by named port "
                    + describe(named), block.ranges(), named, family));
            rules.add(new Rule(namedPortMatch(group, family, set),
                    source.toString(), List.of(source)));
        }
    }

    private void podPeer(AllowRule rule, AllowedPeer.Pods peer, Source source) {
        String key = peerKey(peer);
        String description = describe(peer);
        Optional<String> ports = rule.ports().isEmpty() ? Optional.of("") : inlinePorts(rule);
        List<AllowedPort.Named> named = egressNamedPorts(group, rule);
        for (IpFamily family : families) {
            if (ports.isPresent()) {
                String set = use(PeerSets.pods(key, description, peer, family));
                rules.add(new Rule(match(group, family, set, ports.get()), source.toString(), List.of(source)));
            }
            if (!named.isEmpty()) {
                String set = use(PeerSets.namedPorts(key, description + ", by named port " + describe(named), peer,
                        named, family));
                rules.add(new Rule(namedPortMatch(group, family, set),
                        source.toString(), List.of(source)));
            }
        }
    }

    private static String match(PodGroup group, IpFamily family, String set, String ports) {
        String field = group.direction == PolicyType.INGRESS ? "saddr" : "daddr";
        return family.nftPayload() + " " + field + " @" + set + (ports.isEmpty() ? "" : " " + ports) + " " + verdict(group);
    }

    /** Destination address, protocol and port in a set of resolved named ports: egress only. */
    private static String namedPortMatch(PodGroup group, IpFamily family, String set) {
        return family.nftPayload() + " daddr . meta l4proto . th dport @" + set + " " + verdict(group);
    }

    /**
     * The rule's numeric ports, and for ingress its named ports resolved on the group's pods, as a match on a
     * shared named set of protocol·port; empty when nothing remains (e.g. only names that the pods do not have).
     *
     * <p>A named set rather than an anonymous one: refilling a chain re-adds its rules, and an anonymous interval
     * set is created anew with each of them. On this kernel (6.18) a rule whose anonymous interval set is created in
     * the same transaction occasionally drops a packet it should match while the transaction commits
     * (nft-backend's PortRangeRefillKernelTest). A named set that already exists is untouched by the refill.
     */
    private Optional<String> inlinePorts(AllowRule rule) {
        List<KeyPart[]> parts = new ArrayList<>();
        for (AllowedPort port : rule.ports()) {
            if (port instanceof AllowedPort.Range range) {
                parts.add(new KeyPart[] {new KeyPart.Proto(range.protocol()), new KeyPart.Ports(range.first(), range.last())});
            } else if (group.direction == PolicyType.INGRESS) {
                for (int number : PodGrouping.resolve(group.representative(), (AllowedPort.Named) port)) {
                    parts.add(new KeyPart[] {new KeyPart.Proto(port.protocol()), new KeyPart.Ports(number, number)});
                }
            }
        }
        parts.sort((a, b) -> a[0].compareTo(b[0]) != 0 ? a[0].compareTo(b[0]) : a[1].compareTo(b[1]));
        if (parts.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("meta l4proto . th dport @" + use(PeerSets.ports(mergeOverlaps(parts))));
    }

    /** Sorted protocol·port pairs with touching or overlapping ranges merged: a set takes no overlaps. */
    private static List<SetElement> mergeOverlaps(List<KeyPart[]> sorted) {
        List<SetElement> out = new ArrayList<>();
        KeyPart.Proto proto = null;
        int first = -1;
        int last = -1;
        for (KeyPart[] p : sorted) {
            KeyPart.Proto pr = (KeyPart.Proto) p[0];
            KeyPart.Ports ports = (KeyPart.Ports) p[1];
            if (proto != null && pr.equals(proto) && ports.first() <= last + 1) {
                last = Math.max(last, ports.last());
                continue;
            }
            if (proto != null) {
                out.add(new SetElement(List.of(proto, new KeyPart.Ports(first, last)), List.of()));
            }
            proto = pr;
            first = ports.first();
            last = ports.last();
        }
        if (proto != null) {
            out.add(new SetElement(List.of(proto, new KeyPart.Ports(first, last)), List.of()));
        }
        return out;
    }

    private static List<AllowedPort.Named> egressNamedPorts(PodGroup group, AllowRule rule) {
        if (group.direction != PolicyType.EGRESS) {
            return List.of();
        }
        return rule.ports().stream().filter(p -> p instanceof AllowedPort.Named).map(p -> (AllowedPort.Named) p)
                .sorted((a, b) -> (a.name() + a.protocol()).compareTo(b.name() + b.protocol())).distinct()
                .collect(Collectors.toList());
    }

    private static String verdict(PodGroup group) {
        // An egress allow must not end the base chain: ingress of the destination is still to be checked.
        return group.direction == PolicyType.INGRESS ? "accept" : "return";
    }

    /** Identity of a selector peer: the same selectors in the same scope are the same set of pods. */
    static String peerKey(AllowedPeer.Pods peer) {
        String scope = peer.namespaces().map(ns -> "namespaces " + ns).orElse("namespace " + peer.policyNamespace());
        return "pods " + peer.pods().map(Object::toString).orElse("{}") + " in " + scope;
    }

    static String describe(AllowedPeer.Pods peer) {
        String pods = peer.pods().map(s -> s.selectsAll() ? "all pods" : "pods " + s).orElse("all pods");
        String where = peer.namespaces()
                .map(ns -> ns.selectsAll() ? " in every namespace" : " in namespaces " + ns)
                .orElse(" in namespace " + peer.policyNamespace());
        return pods + where;
    }

    private static String describe(List<AllowedPort.Named> named) {
        return named.stream().map(n -> n.name() + "/" + n.protocol()).collect(Collectors.joining(","));
    }
}
