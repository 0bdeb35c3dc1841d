package io.nftpolicy.compile;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The allow rules of one group chain, one per peer the group's policies name, each matching a shared peer set and a
 * shared set of ports. Policies that name the same peer share its rule: the ports they allow it are united in one
 * port set and the rule names every one of them ({@link Rule#sources()}, and its comment as far as the kernel keeps
 * it). Shared sets are the point: a pod that joins a peer is one element of the peer's set, whatever the number of
 * chains and policies that name it. The rules need only the sets' names, so a chain is laid out without knowing
 * which pods its peers cover: the sets are filled apart ({@link SetSpec}).
 *
 * <p>Per-packet cost is bounded: a chain gets at most {@link #MAX_RULES} allow rules per family. A group whose
 * policies name more peers than that keeps a rule for its first peers of pods and merges the others, ipBlocks first,
 * into sets of its own ({@link Allowances}): one lookup in an any-port set and one in an address·protocol·port set.
 * IpBlocks go first because their cells never change with pods: only the peers of pods merged (the last ones, in
 * policy order) make a pod change touch a chain's own sets.
 */
final class GroupRules {
    static final int MAX_RULES = 8;
    /** The rules per family that a chain's merged sets take: one for any port, one for address·protocol·port. */
    private static final int MERGED_RULES = 2;

    /**
     * The allow rules of a group chain and the shared sets they look up, in the order the rules name them; and the
     * policy peers whose allowances (all but their egress named ports, which stay in the rules) go to the chain's
     * merged sets instead, empty when none do.
     */
    record Plan(List<Rule> rules, List<SetSpec> sets, Set<Source> merged) {}

    /** Everything the group's policies allow one peer on numbers: the ports they give it, united. */
    private static final class PeerAllowance {
        final AllowedPeer peer; // null: every peer
        final TreeSet<Source> sources = new TreeSet<>();
        final List<KeyPart[]> ports = new ArrayList<>();
        boolean anyPort;

        PeerAllowance(AllowedPeer peer) {
            this.peer = peer;
        }

        boolean fixed() {
            return !(peer instanceof AllowedPeer.Pods);
        }
    }

    /** An egress rule on named ports: a set of destination·protocol·port resolved per pod, never merged. */
    private record NamedPortRule(String statement, SetSpec set, TreeSet<Source> sources) {}

    private final PodGroup group;
    private final Set<IpFamily> families;
    private final Map<String, PeerAllowance> peers = new LinkedHashMap<>();
    private final Map<String, NamedPortRule> named = new LinkedHashMap<>();

    private GroupRules(PodGroup group, Set<IpFamily> families) {
        this.group = group;
        this.families = families;
    }

    /**
     * Empty when even the egress named-port rules alone leave no room for the merged sets: the whole group is then
     * merged. Depends only on the group's policies, its named port resolution (part of its key) and the families:
     * not on which pods the peers cover.
     */
    static Optional<Plan> plan(PodGroup group, Set<IpFamily> families) {
        return new GroupRules(group, families).plan();
    }

    /** The group's chain as the plan lays it out, its merged sets (if any) filled from the pods of their peers. */
    static RulesetAssembler.GroupChain chain(PodGroup group, String chainName, Optional<Plan> plan, Peers peers,
                                             Allowances.PeerAddresses addresses) {
        if (plan.isEmpty()) {
            return RulesetAssembler.merged(group, chainName, List.of(), Allowances.of(group, peers, addresses));
        }
        if (plan.get().merged().isEmpty()) {
            return RulesetAssembler.withRules(group, chainName, plan.get().rules());
        }
        return RulesetAssembler.merged(group, chainName, plan.get().rules(),
                Allowances.of(group, peers, addresses, plan.get().merged()::contains));
    }

    private Optional<Plan> plan() {
        int limit = MAX_RULES * families.size();
        for (ValidPolicy policy : group.policies) {
            for (AllowRule rule : policy.rules(group.direction)) {
                if (rule.peers().isEmpty()) {
                    gather(rule, null, "every peer", new Source(policy.ref(), group.direction, rule.index(), -1));
                }
                for (int i = 0; i < rule.peers().size(); i++) {
                    Source source = new Source(policy.ref(), group.direction, rule.index(), i);
                    AllowedPeer peer = rule.peers().get(i);
                    gather(rule, peer, key(peer), source);
                    if (named.size() > limit) {
                        return Optional.empty(); // at once: a rule of 10,000 ipBlocks need not be laid out first
                    }
                }
            }
        }
        List<PeerAllowance> kept = new ArrayList<>(peers.values());
        Set<Source> merged = new TreeSet<>();
        if (rulesOf(kept) + named.size() > limit) {
            int room = limit - MERGED_RULES * families.size() - named.size();
            for (PeerAllowance p : List.copyOf(kept)) {
                if (p.fixed()) {
                    kept.remove(p);
                    merged.addAll(p.sources);
                }
            }
            while (rulesOf(kept) > room && !kept.isEmpty()) {
                merged.addAll(kept.remove(kept.size() - 1).sources);
            }
            if (room < 0) {
                return Optional.empty();
            }
        }
        List<Rule> rules = new ArrayList<>();
        List<SetSpec> sets = new ArrayList<>();
        for (PeerAllowance p : kept) {
            lay(p, rules, sets);
        }
        for (NamedPortRule n : named.values()) {
            rules.add(rule(n.statement(), n.sources()));
            sets.add(n.set());
        }
        return Optional.of(new Plan(List.copyOf(rules), List.copyOf(sets), Set.copyOf(merged)));
    }

    /** How many rules these allowances lay out. */
    private int rulesOf(List<PeerAllowance> allowances) {
        int n = 0;
        for (PeerAllowance p : allowances) {
            if (p.anyPort || !p.ports.isEmpty()) {
                n += p.peer instanceof AllowedPeer.Pods ? families.size() : 1;
            }
        }
        return n;
    }

    /** What a peer is, the same for the same peer in any policy of the group (and the name of its set). */
    private static String key(AllowedPeer peer) {
        if (peer instanceof AllowedPeer.Block block) {
            StringBuilder key = new StringBuilder("block|");
            block.ranges().forEach(r -> key.append(r.toNft()).append(','));
            return key.toString();
        }
        return peerKey((AllowedPeer.Pods) peer);
    }

    private void gather(AllowRule rule, AllowedPeer peer, String key, Source source) {
        if (peer instanceof AllowedPeer.Block block && block.ranges().isEmpty()) {
            return; // its excepts cover the whole cidr: the peer matches nothing
        }
        List<KeyPart[]> ports = numberedPorts(rule);
        if (rule.ports().isEmpty() || !ports.isEmpty()) {
            PeerAllowance allowance = peers.computeIfAbsent(key, k -> new PeerAllowance(peer));
            allowance.anyPort |= rule.ports().isEmpty();
            allowance.ports.addAll(ports);
            allowance.sources.add(source);
        }
        List<AllowedPort.Named> names = egressNamedPorts(group, rule);
        if (names.isEmpty()) {
            return;
        }
        // Egress named ports resolve on the destination pod: of a selector peer, of every pod for an empty `to`, or
        // the pod that holds an address of an ipBlock, as the reference does (an address in the block that is no
        // pod's has no names).
        if (peer instanceof AllowedPeer.Block block) {
            IpFamily family = block.ranges().get(0).family();
            namedRule(family, PeerSets.blockNamedPorts("pods in ipBlock " + block.description() + ", by named port "
                    + describe(names), block.ranges(), names, family), source);
            return;
        }
        for (IpFamily family : families) {
            if (peer == null) {
                namedRule(family, PeerSets.namedPorts("every pod", "every pod, by named port " + describe(names),
                        Peers.EVERY_POD, names, family), source);
            } else {
                AllowedPeer.Pods pods = (AllowedPeer.Pods) peer;
                namedRule(family, PeerSets.namedPorts(key, describe(pods) + ", by named port " + describe(names),
                        pods, names, family), source);
            }
        }
    }

    private void namedRule(IpFamily family, SetSpec set, Source source) {
        named.computeIfAbsent(set.name(), n -> new NamedPortRule(namedPortMatch(group, family, n), set, new TreeSet<>()))
                .sources().add(source);
    }

    /** The rules of one peer's allowance: one per family for a peer of pods, one for an ipBlock or every peer. */
    private void lay(PeerAllowance p, List<Rule> rules, List<SetSpec> sets) {
        if (!p.anyPort && p.ports.isEmpty()) {
            return;
        }
        String ports = "";
        if (!p.anyPort) {
            SetSpec portSet = PeerSets.ports(mergeOverlaps(p.ports));
            sets.add(portSet);
            ports = "meta l4proto . th dport @" + portSet.name();
        }
        if (p.peer == null) {
            rules.add(rule((ports.isEmpty() ? "" : ports + " ") + verdict(group), p.sources));
        } else if (p.peer instanceof AllowedPeer.Block block) {
            IpFamily family = block.ranges().get(0).family();
            SetSpec set = PeerSets.block("ipBlock " + block.description(), block.ranges(), family);
            sets.add(set);
            rules.add(rule(match(group, family, set.name(), ports), p.sources));
        } else {
            AllowedPeer.Pods pods = (AllowedPeer.Pods) p.peer;
            for (IpFamily family : families) {
                SetSpec set = PeerSets.pods(peerKey(pods), describe(pods), pods, family);
                sets.add(set);
                rules.add(rule(match(group, family, set.name(), ports), p.sources));
            }
        }
    }

    private static Rule rule(String statement, Set<Source> sources) {
        List<Source> list = List.copyOf(sources);
        return new Rule(statement, NftRenderer.sourcesComment(list), list);
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
     * The rule's numeric ports, and for ingress its named ports resolved on the group's pods, as protocol·port
     * ranges; empty when nothing remains (e.g. only names that the pods do not have). A peer's rule matches them in
     * a shared named set rather than an anonymous one: refilling a chain re-adds its rules, and an anonymous interval
     * set is created anew with each of them. On this kernel (6.18) a rule whose anonymous interval set is created in
     * the same transaction occasionally drops a packet it should match while the transaction commits (nft-backend's
     * PortRangeRefillKernelTest). A named set that already exists is untouched by the refill.
     */
    private List<KeyPart[]> numberedPorts(AllowRule rule) {
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
        return parts;
    }

    /** Protocol·port pairs, sorted, with touching or overlapping ranges merged: a set takes no overlaps. */
    private static List<SetElement> mergeOverlaps(List<KeyPart[]> parts) {
        List<KeyPart[]> sorted = new ArrayList<>(parts);
        sorted.sort((a, b) -> a[0].compareTo(b[0]) != 0 ? a[0].compareTo(b[0]) : a[1].compareTo(b[1]));
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
