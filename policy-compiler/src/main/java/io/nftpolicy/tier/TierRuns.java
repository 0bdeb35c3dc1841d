package io.nftpolicy.tier;

import com.google.common.collect.ListMultimap;
import com.google.common.collect.MultimapBuilder;
import com.google.common.collect.Multimaps;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.ObjectNames;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.tier.TierPolicy.Action;
import io.nftpolicy.tier.TierPolicy.NamedPort;
import io.nftpolicy.tier.TierPolicy.NumberedPort;
import io.nftpolicy.tier.TierPolicy.TierPeer;
import io.nftpolicy.tier.TierPolicy.TierRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The rules of one tier's policies in one direction, in evaluation order, compiled run by run.
 *
 * <p>First match decides, but only between rules of different actions: a maximal run of consecutive rules with one
 * action (say fifty Admin Deny rules of fifty policies) gives the same verdict whichever of them matches, so the run
 * is one lookup per family in a set holding the union of what its rules match (peer on every port), and one in a
 * set of peer·protocol·port (numbered ports, ranges, and egress named ports resolved on the peer pods). Ingress
 * named ports resolve on the destination, the subject pod, and keep a rule per peer (peer set, then the subject
 * pods' address·protocol·port). A rule that failed closed matches everything and ends its run.
 *
 * <p>A run's sets are named after its rules' content, so chains with the same run share them. Each run rule's
 * comment lists its rules' provenance in order ({@code cnp/NAME ingress[2] (Deny) Admin[10]; ...}), and each element
 * names the rule peers that cover it: explain reads the first of those as the rule that decided.
 */
final class TierRuns {
    private final TierAddresses addresses;
    private final Set<IpFamily> families;
    private final Map<String, NamedSet> sets;
    /** The set rules of each run compiled so far, by content and verdict: chains with the same run share them. */
    private final Map<String, List<Rule>> runRules = new java.util.HashMap<>();

    TierRuns(TierAddresses addresses, Set<IpFamily> families, Map<String, NamedSet> sets) {
        this.addresses = addresses;
        this.families = families;
        this.sets = sets;
    }

    /** One rule of one policy, where it stands in the tier. */
    private record Entry(TierPolicy policy, TierRule rule) {
        String comment(PolicyType direction) {
            return new TierComment(policy.name(), direction, rule.index(), rule.action().text(), policy.tier().text(),
                    policy.priority()).text();
        }

        Source source(PolicyType direction, int peer) {
            return new Source(policy.ref(), direction, rule.index(), peer);
        }
    }

    /**
     * The policies' rules, in order.
     *
     * @param pass    the verdict of a Pass rule
     * @param members the pods the chain is for: where ingress named ports resolve
     */
    List<Rule> rules(PolicyType direction, List<TierPolicy> policies, String pass, List<Pod> members) {
        List<Rule> out = new ArrayList<>();
        List<Entry> run = new ArrayList<>();
        for (TierPolicy policy : policies) {
            for (TierRule rule : policy.rules(direction)) {
                if (!run.isEmpty() && run.get(0).rule().action() != rule.action()) {
                    run(direction, run, pass, members, out);
                    run.clear();
                }
                if (rule.anyPeer()) {
                    run(direction, run, pass, members, out);
                    run.clear();
                    Entry entry = new Entry(policy, rule);
                    out.add(new Rule(verdict(direction, rule.action(), pass), entry.comment(direction),
                            List.of(entry.source(direction, -1))));
                } else {
                    run.add(new Entry(policy, rule));
                }
            }
        }
        run(direction, run, pass, members, out);
        return out;
    }

    private static String verdict(PolicyType direction, Action action, String pass) {
        return switch (action) {
            case ACCEPT -> direction == PolicyType.INGRESS ? "accept" : "return";
            case DENY -> "jump " + TierCompiler.DENY_CHAIN;
            case PASS -> pass;
        };
    }

    private void run(PolicyType direction, List<Entry> run, String pass, List<Pod> members, List<Rule> out) {
        if (run.isEmpty()) {
            return;
        }
        boolean ingress = direction == PolicyType.INGRESS;
        String verdict = verdict(direction, run.get(0).rule().action(), pass);
        Entry only = run.get(0);
        if (run.size() == 1 && only.rule().peers().size() == 1 && named(only.rule()).isEmpty()) {
            // One rule, one peer: the peer's own set, shared by every rule that names the peer, as a run set of its
            // own would copy the peer's addresses once per rule.
            onePeer(direction, only, verdict, out);
            return;
        }
        String key = direction + "|" + run.stream().map(e -> e.policy().name() + "=" + e.rule())
                .collect(Collectors.joining("|"));
        out.addAll(runRules.computeIfAbsent(key + "|" + verdict, k -> setRules(direction, run, key, verdict)));
        if (ingress) {
            for (Entry e : run) {
                ingressNamedPorts(e, members, verdict, out);
            }
        }
    }

    /** A run of one rule with one peer and numbered ports or none: the peer's set, then the rule's port set. */
    private void onePeer(PolicyType direction, Entry e, String verdict, List<Rule> out) {
        TierPeer peer = e.rule().peers().get(0);
        List<NumberedPort> numbered = numbered(e.rule());
        String portMatch = numbered.isEmpty() ? "" : " meta l4proto . th dport @" + portSet(numbered);
        for (IpFamily family : IpFamily.values()) {
            if (!families.contains(family) || (peer instanceof TierPolicy.NetworksPeer
                    && addresses.of(peer, family).isEmpty())) {
                continue;
            }
            out.add(new Rule(family.nftPayload() + (direction == PolicyType.INGRESS ? " saddr @" : " daddr @")
                    + peerSet(peer, family) + portMatch + " " + verdict, e.comment(direction),
                    List.of(e.source(direction, peer.index()))));
        }
    }

    /** Protocol · port of the rule, ranges joined where they touch. */
    private String portSet(List<NumberedPort> ports) {
        TreeSet<SetElement> elements = new TreeSet<>();
        ListMultimap<Protocol, int[]> byProtocol = MultimapBuilder.enumKeys(Protocol.class).arrayListValues().build();
        ports.forEach(p -> byProtocol.put(p.protocol(), new int[] {p.first(), p.last()}));
        Multimaps.asMap(byProtocol).forEach((protocol, ranges) -> {
            ranges.sort(java.util.Comparator.comparingInt(r -> r[0]));
            int[] current = null;
            for (int[] r : ranges) {
                if (current != null && r[0] <= current[1] + 1) {
                    current[1] = Math.max(current[1], r[1]);
                    continue;
                }
                if (current != null) {
                    elements.add(portElement(protocol, current));
                }
                current = r.clone();
            }
            elements.add(portElement(protocol, current));
        });
        boolean interval = elements.stream().anyMatch(e -> e.keyToNft().contains("-"));
        String text = String.join(", ", elements.stream().map(SetElement::keyToNft).toList());
        String name = "cnp-ports-" + ObjectNames.hash("ports|" + text);
        if (!sets.containsKey(name)) {
            sets.put(name, new NamedSet(name, List.of(KeyType.INET_PROTO, KeyType.INET_SERVICE), interval,
                    "ports " + text, List.copyOf(elements)));
        }
        return name;
    }

    private static SetElement portElement(Protocol protocol, int[] range) {
        return new SetElement(List.of(new KeyPart.Proto(protocol), new KeyPart.Ports(range[0], range[1])), List.of(),
                "");
    }

    /** Per family, one rule over the run's any-port set and one over its peer·protocol·port set, where it has them. */
    private List<Rule> setRules(PolicyType direction, List<Entry> run, String key, String verdict) {
        boolean ingress = direction == PolicyType.INGRESS;
        String comment = run.stream().map(e -> e.comment(direction)).collect(Collectors.joining("; "));
        List<Source> sources = new ArrayList<>();
        run.forEach(e -> e.rule().peers().forEach(p -> sources.add(e.source(direction, p.index()))));
        List<Rule> out = new ArrayList<>();
        String description = (run.size() == 1 ? comment : run.size() + " rules from " + run.get(0).comment(direction));
        for (IpFamily family : IpFamily.values()) {
            if (!families.contains(family)) {
                continue;
            }
            RunCells cells = new RunCells();
            boolean anyPort = false;
            boolean ported = false;
            boolean anyInterval = false;
            boolean portInterval = false;
            for (Entry e : run) {
                List<NumberedPort> numbered = numbered(e.rule());
                boolean egressNamed = !ingress && numbered.size() < e.rule().ports().size();
                for (TierPeer peer : e.rule().peers()) {
                    List<TierAddresses.Address> peerAddresses = addresses.of(peer, family);
                    if (peer instanceof TierPolicy.NetworksPeer && peerAddresses.isEmpty()) {
                        continue; // no network of this family: the peer matches nothing here
                    }
                    boolean ranges = peer instanceof TierPolicy.NetworksPeer;
                    Source source = e.source(direction, peer.index());
                    if (e.rule().ports().isEmpty()) {
                        cells.anyPort(peerAddresses, source);
                        anyPort = true;
                        anyInterval |= ranges;
                    }
                    for (NumberedPort p : numbered) {
                        cells.ports(peerAddresses, p.protocol(), p.first(), p.last(), source);
                        ported = true;
                        portInterval |= ranges || p.first() != p.last();
                    }
                    if (egressNamed && peer instanceof TierPolicy.PodsPeer pods) {
                        egressNamedPorts(e.rule(), pods, family, cells, source);
                        ported = true;
                    }
                    // A named port on networks or nodes matches nothing: they have no named ports.
                }
            }
            String fam = family.nftPayload();
            String field = fam + (ingress ? " saddr" : " daddr");
            if (anyPort) {
                String name = define("cnp-run-" + ObjectNames.hash(key) + "-" + family.suffix(), family, List.of(),
                        anyInterval, "peers of " + description, cells.anyElements());
                out.add(new Rule(field + " @" + name + " " + verdict, comment, sources));
            }
            if (ported) {
                String name = define("cnp-runp-" + ObjectNames.hash(key) + "-" + family.suffix(), family,
                        List.of(KeyType.INET_PROTO, KeyType.INET_SERVICE), portInterval,
                        "peers and ports of " + description, cells.portElements());
                out.add(new Rule(field + " . meta l4proto . th dport @" + name + " " + verdict, comment, sources));
            }
        }
        return out;
    }

    private static List<NumberedPort> numbered(TierRule rule) {
        return rule.ports().stream().filter(NumberedPort.class::isInstance).map(NumberedPort.class::cast).toList();
    }

    private static List<NamedPort> named(TierRule rule) {
        return rule.ports().stream().filter(NamedPort.class::isInstance).map(NamedPort.class::cast).toList();
    }

    /** An egress named port: the number each peer pod gives it, at that pod's addresses. */
    private void egressNamedPorts(TierRule rule, TierPolicy.PodsPeer peer, IpFamily family, RunCells cells,
                                  Source source) {
        Set<String> wanted = named(rule).stream().map(NamedPort::name).collect(Collectors.toSet());
        for (Pod pod : addresses.podsOf(peer)) {
            for (ContainerPort port : pod.ports()) {
                if (port.hasName() && wanted.contains(port.name())) {
                    List<TierAddresses.Address> at = TierAddresses.addresses(pod.ips(), family).stream()
                            .map(a -> new TierAddresses.Address(IpRange.single(a), pod.ref())).toList();
                    cells.ports(at, port.protocol(), port.port(), port.port(), source);
                }
            }
        }
    }

    /** Ingress named ports: per peer and family, the peer's set, then the subject pods' own ports. */
    private void ingressNamedPorts(Entry e, List<Pod> members, String verdict, List<Rule> out) {
        List<NamedPort> named = named(e.rule());
        if (named.isEmpty()) {
            return;
        }
        PolicyType direction = PolicyType.INGRESS;
        for (TierPeer peer : e.rule().peers()) {
            for (IpFamily family : IpFamily.values()) {
                if (!families.contains(family)) {
                    continue;
                }
                String fam = family.nftPayload();
                String set = namedPortSet(named, members, family, "ingress named ports of " + members.size() + " pods");
                out.add(new Rule(fam + " saddr @" + peerSet(peer, family) + " " + fam + " daddr . meta l4proto . th dport @"
                        + set + " " + verdict, e.comment(direction), List.of(e.source(direction, peer.index()))));
            }
        }
    }

    /** The set of the peer's addresses in the family, shared by every rule naming the peer. */
    private String peerSet(TierPeer peer, IpFamily family) {
        List<TierAddresses.Address> peerAddresses = addresses.of(peer, family);
        String key;
        String description;
        if (peer instanceof TierPolicy.PodsPeer pods) {
            key = "pods|" + pods.namespaces() + "|" + pods.pods().map(Object::toString).orElse("*");
            description = "pods " + pods.pods().map(Object::toString).orElse("(all)") + " of namespaces "
                    + pods.namespaces();
        } else if (peer instanceof TierPolicy.NodesPeer nodes) {
            key = "nodes|" + nodes.nodes();
            description = "addresses of nodes " + nodes.nodes();
        } else {
            key = "networks|" + ((TierPolicy.NetworksPeer) peer).ranges();
            description = "networks " + ((TierPolicy.NetworksPeer) peer).ranges();
        }
        List<SetElement> elements = peerAddresses.stream()
                .map(a -> new SetElement(List.of(new KeyPart.Addresses(a.range())), List.of(), a.owner())).toList();
        return define("cnp-" + ObjectNames.hash(key) + "-" + family.suffix(), family, List.of(),
                peer instanceof TierPolicy.NetworksPeer, description, elements);
    }

    /** Destination address · protocol · port of the named ports, as each of {@code destinations} numbers them. */
    private String namedPortSet(List<NamedPort> names, List<Pod> destinations, IpFamily family, String description) {
        Set<String> wanted = new TreeSet<>();
        names.forEach(n -> wanted.add(n.name()));
        TreeSet<SetElement> elements = new TreeSet<>();
        for (Pod pod : destinations) {
            for (ContainerPort port : pod.ports()) {
                if (!port.hasName() || !wanted.contains(port.name())) {
                    continue;
                }
                for (IpAddress address : TierAddresses.addresses(pod.ips(), family)) {
                    elements.add(new SetElement(List.of(new KeyPart.Addresses(IpRange.single(address)),
                            new KeyPart.Proto(port.protocol()), new KeyPart.Ports(port.port(), port.port())),
                            List.of(), pod.ref()));
                }
            }
        }
        StringBuilder key = new StringBuilder("named|").append(wanted).append('|');
        elements.forEach(e -> key.append(e.keyToNft()).append(','));
        return define("cnp-named-" + ObjectNames.hash(key.toString()) + "-" + family.suffix(), family,
                List.of(KeyType.INET_PROTO, KeyType.INET_SERVICE), false, description, List.copyOf(elements));
    }

    /** Defines the set unless a chain before defined it (same name, same content), and returns its name. */
    private String define(String name, IpFamily family, List<KeyType> after, boolean interval, String comment,
                          List<SetElement> elements) {
        if (!sets.containsKey(name)) {
            List<KeyType> type = new ArrayList<>();
            type.add(family == IpFamily.IPV4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR);
            type.addAll(after);
            sets.put(name, new NamedSet(name, type, interval, comment, elements));
        }
        return name;
    }
}
