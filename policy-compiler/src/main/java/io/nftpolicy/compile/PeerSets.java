package io.nftpolicy.compile;

import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.SetElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The named sets of peers, shared by every chain whose rules name the same peer. A peer that twenty policies
 * repeat (say "pods of namespaces labelled team=ops") is one set in the kernel, and a pod joining it is one
 * element, whatever the number of policies. Set names are derived from what the peer is, so they stay the same
 * while its members change.
 */
final class PeerSets {
    private final Map<String, NamedSet> sets = new TreeMap<>();
    /** Sets of the chain being built, kept apart until the chain is known to use rules per peer. */
    private final Map<String, NamedSet> staged = new TreeMap<>();

    /** Addresses of the pods a selector peer covers; each element is one pod, named in its comment. */
    String pods(String peerKey, String description, List<ClusterIndex.Member> pods, IpFamily family) {
        String name = "peer-" + hash(peerKey) + "-" + family.suffix();
        define(name, n -> {
            List<SetElement> elements = new ArrayList<>();
            for (ClusterIndex.Member pod : pods) {
                for (IpAddress address : pod.addresses()) {
                    if (address.family() == family) {
                        elements.add(new SetElement(List.of(new KeyPart.Addresses(IpRange.single(address))), List.of(),
                                pod.ref()));
                    }
                }
            }
            elements.sort(null);
            return new NamedSet(n, List.of(addressType(family)), false, description, elements);
        });
        return name;
    }

    /** The ranges of an ipBlock (cidr minus except), as an interval set. */
    String block(String description, List<IpRange> ranges, IpFamily family) {
        StringBuilder key = new StringBuilder("block|");
        ranges.forEach(r -> key.append(r.toNft()).append(','));
        String name = "block-" + hash(key.toString()) + "-" + family.suffix();
        define(name, n -> {
            List<SetElement> elements = new ArrayList<>();
            for (IpRange r : ranges) {
                if (r.family() == family) {
                    elements.add(new SetElement(List.of(new KeyPart.Addresses(r)), List.of(), ""));
                }
            }
            return new NamedSet(n, List.of(addressType(family)), true, description, elements);
        });
        return name;
    }

    /**
     * Destination pod · protocol · port for named ports, which resolve on each destination pod: one element per pod
     * and number, so pods that map a name to different numbers are each opened on their own number only.
     */
    String namedPorts(String peerKey, String description, List<ClusterIndex.Member> pods,
                      List<AllowedPort.Named> names, IpFamily family) {
        StringBuilder key = new StringBuilder(peerKey).append("|ports|");
        names.forEach(n -> key.append(n.name()).append('/').append(n.protocol()).append(','));
        String name = "dst-" + hash(key.toString()) + "-" + family.suffix();
        define(name, n -> {
            Map<SetElement, String> unique = new TreeMap<>();
            for (ClusterIndex.Member pod : pods) {
                for (ContainerPort port : pod.ports()) {
                    for (AllowedPort.Named wanted : names) {
                        if (!port.name().equals(wanted.name()) || port.protocol() != wanted.protocol()) {
                            continue;
                        }
                        for (IpAddress address : pod.addresses()) {
                            if (address.family() == family) {
                                SetElement element = new SetElement(List.of(new KeyPart.Addresses(IpRange.single(address)),
                                        new KeyPart.Proto(port.protocol()), new KeyPart.Ports(port.port(), port.port())),
                                        List.of(), pod.ref());
                                unique.putIfAbsent(element, pod.ref());
                            }
                        }
                    }
                }
            }
            return new NamedSet(n, List.of(addressType(family), KeyType.INET_PROTO, KeyType.INET_SERVICE), false,
                    description, List.copyOf(unique.keySet()));
        });
        return name;
    }

    private void define(String name, java.util.function.Function<String, NamedSet> build) {
        if (!sets.containsKey(name)) {
            staged.computeIfAbsent(name, build);
        }
    }

    void commitStaged() {
        sets.putAll(staged);
        staged.clear();
    }

    void discardStaged() {
        staged.clear();
    }

    /**
     * Protocol·port pairs, shared by every rule that allows the same ports. An interval set only when a range is
     * among them: a plain hash set is cheaper to look up and to create.
     */
    String ports(List<SetElement> elements) {
        StringBuilder key = new StringBuilder("ports|");
        elements.forEach(e -> key.append(e.keyToNft()).append(','));
        String name = "ports-" + hash(key.toString());
        boolean interval = elements.stream().anyMatch(e -> {
            KeyPart.Ports ports = (KeyPart.Ports) e.key().get(1);
            return ports.first() != ports.last();
        });
        String description = elements.stream().map(SetElement::keyToNft).collect(java.util.stream.Collectors.joining(", "));
        define(name, n -> new NamedSet(n, List.of(KeyType.INET_PROTO, KeyType.INET_SERVICE), interval,
                "ports " + description, elements));
        return name;
    }

    List<NamedSet> all() {
        return List.copyOf(sets.values());
    }

    static KeyType addressType(IpFamily family) {
        return family == IpFamily.IPV4 ? KeyType.IPV4_ADDR : KeyType.IPV6_ADDR;
    }

    private static String hash(String text) {
        return ObjectNames.hash(text);
    }
}
