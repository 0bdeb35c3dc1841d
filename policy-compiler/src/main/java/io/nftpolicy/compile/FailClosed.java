package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Fail-closed mode: a post-step over a node's compiled ruleset that isolates, in both directions, every address of
 * the node's pod CIDRs that is not a pod the ruleset was compiled with. A pod whose network exists before its Pod
 * object (with its address) has reached the compiler is then cut off until it is programmed, instead of open.
 *
 * <p>What it adds, per family that has a pod CIDR:
 * <ul>
 *   <li>set {@code pod-cidrs-v4}: the node's pod CIDRs (interval);</li>
 *   <li>set {@code local-pods-v4}: every address of this node's participating pods inside those CIDRs, isolated or
 *       not, each element named after its pod;</li>
 *   <li>in the forward base chain, after the established/related accept and neighbour discovery: a drop of sources,
 *       then of destinations, inside the pod CIDRs and not in the set;</li>
 *   <li>in the input base chain, at the same place: a drop of such sources, unless the source is an address of the
 *       node itself ({@code fib saddr type local}). The node's bridge (cni0) holds the gateway address of its pod
 *       CIDR, and the node's own traffic to that address comes in through input on {@code lo}: it must keep
 *       working. Destinations are not checked in input (every pod reaching the node targets the gateway), and
 *       forward never sees the gateway, which is the node's own address.</li>
 * </ul>
 * Established flows stay accepted first, as everywhere in the table. Traffic from the node to its pods (output) is
 * not filtered, so kubelet probes reach a pod that is not programmed yet.
 *
 * <p>Not thread-safe: one instance per node, called with successive compilations; objects whose content did not
 * change are returned as the same instances as the previous call's (as {@link IncrementalCompiler} does).
 */
public final class FailClosed {
    static final String CIDR_SET_PREFIX = "pod-cidrs-";
    static final String KNOWN_SET_PREFIX = "local-pods-";
    static final String SOURCE_COMMENT = "fail-closed: source in this node's pod CIDRs, not a known pod";
    static final String DESTINATION_COMMENT = "fail-closed: destination in this node's pod CIDRs, not a known pod";
    static final String INPUT_COMMENT = "fail-closed: source in this node's pod CIDRs, not a known pod nor the node";

    private final String nodeName;
    private final Map<IpFamily, List<IpRange>> podCidrs = new EnumMap<>(IpFamily.class);
    private final Map<IpFamily, NamedSet> cidrSets = new EnumMap<>(IpFamily.class);
    /** The previous call's outputs, for reuse when unchanged. */
    private final Map<IpFamily, NamedSet> previousKnown = new EnumMap<>(IpFamily.class);
    private Map<Chain, Chain> previousChains = new IdentityHashMap<>();
    /** The pod list the known sets were last computed from (the agent's snapshot reuses it when no pod changed). */
    private List<Pod> previousPods;

    /**
     * @param nodeName the node the rulesets are compiled for
     * @param podCidrs the node's pod CIDRs (its Node's spec.podCIDRs), at least one
     * @throws IllegalArgumentException when there is none, or two of them overlap
     */
    public FailClosed(String nodeName, List<IpRange> podCidrs) {
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(podCidrs, "podCidrs");
        if (podCidrs.isEmpty()) {
            throw new IllegalArgumentException("fail-closed mode needs the pod CIDRs of node " + nodeName);
        }
        for (IpRange cidr : podCidrs) {
            List<IpRange> same = this.podCidrs.computeIfAbsent(cidr.family(), f -> new ArrayList<>());
            for (IpRange other : same) {
                if (other.contains(cidr.first()) || cidr.contains(other.first())) {
                    throw new IllegalArgumentException("pod CIDRs " + other.toNft() + " and " + cidr.toNft()
                            + " of node " + nodeName + " overlap");
                }
            }
            same.add(cidr);
        }
        this.podCidrs.forEach((family, cidrs) -> {
            cidrs.sort(null);
            cidrSets.put(family, new NamedSet(CIDR_SET_PREFIX + family.suffix(), List.of(addressType(family)), true,
                    "pod CIDRs of this node (fail-closed mode)",
                    cidrs.stream().map(c -> new SetElement(List.of(new KeyPart.Addresses(c)), List.of(),
                            "pod CIDR of node " + nodeName)).toList()));
        });
    }

    public String nodeName() {
        return nodeName;
    }

    /** The pod CIDRs, by family, ordered. */
    public Map<IpFamily, List<IpRange>> podCidrs() {
        Map<IpFamily, List<IpRange>> out = new EnumMap<>(IpFamily.class);
        podCidrs.forEach((f, c) -> out.put(f, List.copyOf(c)));
        return out;
    }

    /**
     * The compilation with fail-closed isolation added.
     *
     * @param compilation this node's compilation of {@code snapshot}
     * @param snapshot    what it was compiled from: its pods on this node are the known addresses
     */
    public Compilation apply(Compilation compilation, ClusterSnapshot snapshot) {
        Ruleset ruleset = compilation.ruleset();
        List<NamedSet> sets = new ArrayList<>(ruleset.sets());
        boolean podsUnchanged = snapshot.pods() == previousPods;
        Map<IpFamily, TreeMap<IpAddress, String>> known = podsUnchanged ? null : knownAddresses(snapshot);
        previousPods = snapshot.pods();
        for (IpFamily family : podCidrs.keySet()) {
            sets.add(cidrSets.get(family));
            sets.add(podsUnchanged ? previousKnown.get(family) : knownSet(family, known.get(family)));
        }
        sets.sort(Comparator.comparing(NamedSet::name));
        Map<Chain, Chain> chains = new IdentityHashMap<>();
        List<Chain> out = new ArrayList<>(ruleset.chains().size());
        for (Chain chain : ruleset.chains()) {
            Chain changed = chain.hook().map(BaseHook::hook)
                    .filter(h -> h.equals("forward") || h.equals("input"))
                    .map(h -> previousChains.containsKey(chain) ? previousChains.get(chain) : withDrops(chain, h))
                    .orElse(chain);
            if (changed != chain) {
                chains.put(chain, changed);
            }
            out.add(changed);
        }
        previousChains = chains;
        return new Compilation(new Ruleset(ruleset.family(), ruleset.table(), ruleset.comment(), sets, ruleset.maps(),
                out), compilation.diagnostics());
    }

    /**
     * Addresses of this node's participating pods inside the pod CIDRs, each with the first pod (by namespace/name)
     * that claims it, for the element's comment: an address is known whichever pod owns it.
     */
    private Map<IpFamily, TreeMap<IpAddress, String>> knownAddresses(ClusterSnapshot snapshot) {
        Map<IpFamily, TreeMap<IpAddress, String>> known = new EnumMap<>(IpFamily.class);
        podCidrs.keySet().forEach(f -> known.put(f, new TreeMap<>()));
        for (Pod pod : snapshot.pods()) {
            if (!pod.nodeName().equals(nodeName) || !pod.participates()) {
                continue;
            }
            for (String ip : pod.ips()) {
                IpAddress address;
                try {
                    address = IpAddress.parse(ip);
                } catch (IllegalArgumentException e) {
                    continue; // the compiler reports it; an unusable address stays unknown, so isolated
                }
                List<IpRange> cidrs = podCidrs.get(address.family());
                if (cidrs != null && cidrs.stream().anyMatch(c -> c.contains(address))) {
                    known.get(address.family()).merge(address, pod.ref(), (a, b) -> a.compareTo(b) <= 0 ? a : b);
                }
            }
        }
        return known;
    }

    private NamedSet knownSet(IpFamily family, TreeMap<IpAddress, String> addresses) {
        List<SetElement> elements = new ArrayList<>(addresses.size());
        addresses.forEach((address, pod) -> elements.add(
                new SetElement(List.of(new KeyPart.Addresses(IpRange.single(address))), List.of(), pod)));
        NamedSet set = new NamedSet(KNOWN_SET_PREFIX + family.suffix(), List.of(addressType(family)), false,
                "pods of this node the compiler knows: other pod-CIDR addresses are isolated (fail-closed)",
                elements);
        NamedSet previous = previousKnown.get(family);
        if (set.equals(previous)) {
            return previous;
        }
        previousKnown.put(family, set);
        return set;
    }

    private Chain withDrops(Chain chain, String hook) {
        List<Rule> rules = new ArrayList<>(chain.rules());
        // After the flow rules (conntrack) and neighbour discovery, before the policy chains.
        int at = 0;
        while (at < rules.size() && (rules.get(at).statement().startsWith("ct ")
                || rules.get(at).statement().startsWith("icmpv6 type"))) {
            at++;
        }
        List<Rule> drops = new ArrayList<>();
        for (IpFamily family : podCidrs.keySet()) {
            String payload = family.nftPayload();
            String cidrs = "@" + CIDR_SET_PREFIX + family.suffix();
            String knownSet = "@" + KNOWN_SET_PREFIX + family.suffix();
            if (hook.equals("forward")) {
                drops.add(Rule.of(payload + " saddr " + cidrs + " " + payload + " saddr != " + knownSet + " drop",
                        SOURCE_COMMENT));
                drops.add(Rule.of(payload + " daddr " + cidrs + " " + payload + " daddr != " + knownSet + " drop",
                        DESTINATION_COMMENT));
            } else {
                drops.add(Rule.of(payload + " saddr " + cidrs + " " + payload + " saddr != " + knownSet
                                + " fib saddr type != local drop",
                        INPUT_COMMENT));
            }
        }
        rules.addAll(at, drops);
        return new Chain(chain.name(), chain.hook(), chain.comment(), rules);
    }

    private static KeyType addressType(IpFamily family) {
        return family == IpFamily.IPV4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR;
    }
}
