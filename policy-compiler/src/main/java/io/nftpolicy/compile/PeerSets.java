package io.nftpolicy.compile;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.SetElement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The named sets of peers, shared by every chain whose rules name the same peer. A peer that twenty policies
 * repeat (say "pods of namespaces labelled team=ops") is one set in the kernel, and a pod joining it is one
 * element, whatever the number of policies. Set names are derived from what the peer is, so they stay the same
 * while its members change. The first chain (in table order) to name a set defines it.
 */
final class PeerSets {
    private final Map<String, NamedSet> sets = new HashMap<>();

    /** Adds the set unless one of that name is defined already. */
    void define(SetSpec spec, Function<SetSpec, NamedSet> build) {
        if (!sets.containsKey(spec.name())) {
            sets.put(spec.name(), build.apply(spec));
        }
    }

    /** Every set defined, in no particular order. */
    List<NamedSet> all() {
        return List.copyOf(sets.values());
    }

    /** Addresses of the pods a selector peer covers; each element is one pod, named in its comment. */
    static SetSpec.Addresses pods(String peerKey, String description, AllowedPeer.Pods peer, IpFamily family) {
        return new SetSpec.Addresses("peer-" + hash(peerKey) + "-" + family.suffix(), description,
                Peers.canonical(peer), family);
    }

    /** Destination pod · protocol · port of the named ports, on the pods a selector peer covers. */
    static SetSpec.NamedPorts namedPorts(String peerKey, String description, AllowedPeer.Pods peer,
                                         List<AllowedPort.Named> names, IpFamily family) {
        StringBuilder key = new StringBuilder(peerKey).append("|ports|");
        names.forEach(n -> key.append(n.name()).append('/').append(n.protocol()).append(','));
        return new SetSpec.NamedPorts("dst-" + hash(key.toString()) + "-" + family.suffix(), description,
                Peers.canonical(peer), List.copyOf(names), family);
    }

    /** Destination address · protocol · port of the named ports, on the pods whose addresses an ipBlock covers. */
    static SetSpec.BlockNamedPorts blockNamedPorts(String description, List<IpRange> ranges,
                                                   List<AllowedPort.Named> names, IpFamily family) {
        StringBuilder key = new StringBuilder("block|");
        ranges.forEach(r -> key.append(r.toNft()).append(','));
        key.append("|ports|");
        names.forEach(n -> key.append(n.name()).append('/').append(n.protocol()).append(','));
        return new SetSpec.BlockNamedPorts("dst-" + hash(key.toString()) + "-" + family.suffix(), description,
                List.copyOf(ranges), List.copyOf(names), family);
    }

    /** The ranges of an ipBlock (cidr minus except), as an interval set. */
    static SetSpec.Fixed block(String description, List<IpRange> ranges, IpFamily family) {
        StringBuilder key = new StringBuilder("block|");
        ranges.forEach(r -> key.append(r.toNft()).append(','));
        List<SetElement> elements = new ArrayList<>();
        for (IpRange r : ranges) {
            if (r.family() == family) {
                elements.add(new SetElement(List.of(new KeyPart.Addresses(r)), List.of(), ""));
            }
        }
        return new SetSpec.Fixed(new NamedSet("block-" + hash(key.toString()) + "-" + family.suffix(),
                List.of(addressType(family)), true, description, elements));
    }

    /**
     * Protocol·port pairs, shared by every rule that allows the same ports. An interval set only when a range is
     * among them: a plain hash set is cheaper to look up and to create.
     */
    static SetSpec.Fixed ports(List<SetElement> elements) {
        StringBuilder key = new StringBuilder("ports|");
        elements.forEach(e -> key.append(e.keyToNft()).append(','));
        boolean interval = elements.stream().anyMatch(e -> {
            KeyPart.Ports ports = (KeyPart.Ports) e.key().get(1);
            return ports.first() != ports.last();
        });
        String description = elements.stream().map(SetElement::keyToNft).collect(Collectors.joining(", "));
        return new SetSpec.Fixed(new NamedSet("ports-" + hash(key.toString()), List.of(KeyType.INET_PROTO,
                KeyType.INET_SERVICE), interval, "ports " + description, elements));
    }

    static KeyType addressType(IpFamily family) {
        return family == IpFamily.IPV4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR;
    }

    private static String hash(String text) {
        return ObjectNames.hash(text);
    }
}
