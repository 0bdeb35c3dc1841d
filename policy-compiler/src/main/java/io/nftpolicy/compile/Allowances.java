package io.nftpolicy.compile;

import com.google.common.collect.ListMultimap;
import com.google.common.collect.Multimaps;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.net.Partition;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.function.Predicate;

/**
 * What one group of pods is allowed in one direction, collected rule by rule and then flattened into the elements
 * of two sets per family: peers allowed on every port ({@code any}) and peer·protocol·port boxes ({@code ports}).
 *
 * <p>Both sets are disjoint by construction: ports are cut into classes over which the same boxes apply, and within
 * a class the peers' address ranges are cut into cells, each cell remembering every source that allowed it. So a
 * packet costs one lookup per set however many policies contributed, and each element still names its origins.
 */
final class Allowances {
    /** Peers allowed on every protocol and port, labelled by source number. */
    private final List<Partition.Piece<IpAddress, Integer>> any = new ArrayList<>();
    /** Peers allowed on one protocol's port range. */
    private final List<Box> boxes = new ArrayList<>();
    /**
     * The sources by number. Cells are labelled by number (cheap to hash and compare, many cells per source) and
     * given their sources in source order at the end.
     */
    private final List<Source> sources = new ArrayList<>();
    private final Map<Source, Integer> sourceNumbers = new HashMap<>();

    /** Whether egress named ports are allowed here too, or left to rules of their own. */
    private final boolean withEgressNamed;

    private Allowances(boolean withEgressNamed) {
        this.withEgressNamed = withEgressNamed;
    }

    private record Box(List<IpRange> ranges, Protocol protocol, int firstPort, int lastPort, int source) {}

    /**
     * A peer's pods in address order, and their addresses as ranges, worked out once per compilation for all the
     * groups that name the peer (by the instance of its list of pods). Pieces that come in sorted runs make the
     * partition's sort little more than a merge.
     */
    static final class PeerAddresses {
        private final Map<List<ClusterIndex.Member>, Sorted> sorted = new IdentityHashMap<>();

        private record Sorted(List<ClusterIndex.Member> pods, List<IpRange> ranges) {}

        private Sorted of(List<ClusterIndex.Member> pods) {
            return sorted.computeIfAbsent(pods, p -> {
                List<ClusterIndex.Member> byAddress = new ArrayList<>(p);
                byAddress.sort(Comparator.comparing(m -> m.addresses().isEmpty() ? null : m.addresses().get(0),
                        Comparator.nullsFirst(Comparator.naturalOrder())));
                List<IpRange> ranges = addressesOf(byAddress);
                ranges.sort(null);
                return new Sorted(byAddress, List.copyOf(ranges));
            });
        }
    }

    /**
     * Everything a group is allowed, peer by peer: what a group chain with merged sets only enforces. Ingress named
     * ports resolve on the group's pods (they resolve the same on each: that is part of the key), egress ones on each
     * destination pod: the pods of a selector peer, or those whose addresses an ipBlock covers.
     */
    static Allowances of(PodGroup group, Peers peers, PeerAddresses addresses) {
        return of(group, peers, addresses, source -> true, true);
    }

    /**
     * What the chosen policy peers allow a group on numbered ports (ingress named ports, resolved on the group's
     * pods, included): the part of a chain's allowances that its rules ({@link GroupRules}) leave to merged sets.
     */
    static Allowances of(PodGroup group, Peers peers, PeerAddresses addresses, Predicate<Source> chosen) {
        return of(group, peers, addresses, chosen, false);
    }

    private static Allowances of(PodGroup group, Peers peers, PeerAddresses addresses, Predicate<Source> chosen,
                                 boolean withEgressNamed) {
        Allowances allowances = new Allowances(withEgressNamed);
        PolicyType direction = group.direction;
        for (ValidPolicy policy : group.policies) {
            for (AllowRule rule : policy.rules(direction)) {
                boolean egressNamed = withEgressNamed && direction == PolicyType.EGRESS
                        && rule.ports().stream().anyMatch(p -> p instanceof AllowedPort.Named);
                if (rule.peers().isEmpty()) {
                    Source source = new Source(policy.ref(), direction, rule.index(), -1);
                    if (chosen.test(source)) {
                        List<IpRange> everyone = List.of(IpRange.all(IpFamily.IPV4), IpRange.all(IpFamily.IPV6));
                        allowances.allow(group, rule, everyone,
                                egressNamed ? addresses.of(peers.everyPod()).pods() : List.of(), source);
                    }
                    continue;
                }
                for (int i = 0; i < rule.peers().size(); i++) {
                    Source source = new Source(policy.ref(), direction, rule.index(), i);
                    if (!chosen.test(source)) {
                        continue;
                    }
                    AllowedPeer peer = rule.peers().get(i);
                    if (peer instanceof AllowedPeer.Block block) {
                        // Egress named ports resolve on the pods whose addresses the block covers.
                        allowances.allow(group, rule, block.ranges(),
                                egressNamed ? addresses.of(peers.everyPod()).pods() : List.of(), source);
                    } else {
                        PeerAddresses.Sorted pods = addresses.of(peers.pods((AllowedPeer.Pods) peer));
                        allowances.allow(group, rule, pods.ranges(), pods.pods(), source);
                    }
                }
            }
        }
        return allowances;
    }

    /**
     * Adds one peer of one rule.
     *
     * @param peerPods the pods the peer covers, where egress named ports resolve
     */
    private void allow(PodGroup group, AllowRule rule, List<IpRange> peerRanges, List<ClusterIndex.Member> peerPods,
                       Source allowedBy) {
        int source = sourceNumbers.computeIfAbsent(allowedBy, s -> {
            sources.add(s);
            return sources.size() - 1;
        });
        if (rule.ports().isEmpty()) {
            allowAnyPort(peerRanges, source);
            return;
        }
        for (AllowedPort port : rule.ports()) {
            if (port instanceof AllowedPort.Range range) {
                allowPorts(peerRanges, range.protocol(), range.first(), range.last(), source);
            } else if (group.direction == PolicyType.INGRESS) {
                for (int number : PodGrouping.resolve(group.representative(), (AllowedPort.Named) port)) {
                    allowPorts(peerRanges, port.protocol(), number, number, source);
                }
            } else if (withEgressNamed) {
                for (ClusterIndex.Member destination : peerPods) {
                    List<IpRange> at = addressesWithin(destination, peerRanges);
                    for (int number : PodGrouping.resolve(destination, (AllowedPort.Named) port)) {
                        allowPorts(at, port.protocol(), number, number, source);
                    }
                }
            }
        }
    }

    /** The pod's addresses that the peer's ranges (sorted, disjoint) hold: those of an ipBlock, the pod's own. */
    private static List<IpRange> addressesWithin(ClusterIndex.Member pod, List<IpRange> peerRanges) {
        List<IpRange> ranges = new ArrayList<>(pod.addresses().size());
        for (IpAddress a : pod.addresses()) {
            if (IpRanges.covers(peerRanges, a)) {
                ranges.add(IpRange.single(a));
            }
        }
        return ranges;
    }

    private static List<IpRange> addressesOf(List<ClusterIndex.Member> pods) {
        List<IpRange> ranges = new ArrayList<>();
        for (ClusterIndex.Member m : pods) {
            m.addresses().forEach(a -> ranges.add(IpRange.single(a)));
        }
        return ranges;
    }

    private void allowAnyPort(List<IpRange> peers, int source) {
        for (IpRange r : peers) {
            any.add(new Partition.Piece<>(r.first(), r.last(), source));
        }
    }

    private void allowPorts(List<IpRange> peers, Protocol protocol, int firstPort, int lastPort, int source) {
        if (!peers.isEmpty()) {
            boxes.add(new Box(List.copyOf(peers), protocol, firstPort, lastPort, source));
        }
    }

    /** Elements of the family's any-port set: disjoint address cells. */
    List<SetElement> anyElements(IpFamily family) {
        List<Partition.Piece<IpAddress, Integer>> pieces = new ArrayList<>();
        for (var p : any) {
            if (p.first().family() == family) {
                pieces.add(p);
            }
        }
        List<SetElement> elements = new ArrayList<>();
        Map<SortedSet<Integer>, List<Source>> sourceLists = new IdentityHashMap<>();
        for (var cell : Partition.of(pieces, Partition.ADDRESSES)) {
            elements.add(new SetElement(List.of(new KeyPart.Addresses(new IpRange(cell.first(), cell.last()))),
                    sourceLists.computeIfAbsent(cell.labels(), this::sourcesOf)));
        }
        return elements;
    }

    /**
     * Elements of the family's address·protocol·port set: disjoint boxes. Ports are cut over the distinct port
     * ranges rather than over the boxes: an egress named port gives a box per destination pod, all on few numbers.
     */
    List<SetElement> portElements(IpFamily family) {
        List<SetElement> elements = new ArrayList<>();
        Map<SortedSet<Integer>, List<Source>> sourceLists = new IdentityHashMap<>();
        // A rule's peers are the same on each of its ports: port classes of one protocol or of several often hold
        // the same pieces, cut once.
        Map<List<Contribution>, List<Partition.Cell<IpAddress, Integer>>> cut = new HashMap<>();
        for (Protocol protocol : Protocol.values()) {
            ListMultimap<List<Integer>, Box> byPorts = Multimaps.index(boxes.stream()
                    .filter(b -> b.protocol() == protocol && b.ranges().stream().anyMatch(r -> r.family() == family))
                    .iterator(), b -> List.of(b.firstPort(), b.lastPort()));
            List<List<Box>> portRanges = List.copyOf(Multimaps.asMap(byPorts).values());
            List<Partition.Piece<Integer, Integer>> portPieces = new ArrayList<>();
            for (int i = 0; i < portRanges.size(); i++) {
                Box b = portRanges.get(i).get(0);
                portPieces.add(new Partition.Piece<>(b.firstPort(), b.lastPort(), i));
            }
            for (var portClass : Partition.of(portPieces, Partition.NUMBERS)) {
                List<Contribution> contributions = new ArrayList<>();
                for (int rangeIndex : portClass.labels()) {
                    for (Box b : portRanges.get(rangeIndex)) {
                        contributions.add(new Contribution(b.ranges(), b.source()));
                    }
                }
                KeyPart ports = new KeyPart.Ports(portClass.first(), portClass.last());
                KeyPart proto = new KeyPart.Proto(protocol);
                for (var cell : cut.computeIfAbsent(contributions, c -> addressCells(c, family))) {
                    elements.add(new SetElement(List.of(
                            new KeyPart.Addresses(new IpRange(cell.first(), cell.last())), proto, ports),
                            sourceLists.computeIfAbsent(cell.labels(), this::sourcesOf)));
                }
            }
        }
        elements.sort(null);
        return elements;
    }

    /** A box's peers and source, its ranges compared by identity: a peer's ranges are one list per compilation. */
    private record Contribution(List<IpRange> ranges, int source) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Contribution c && c.ranges == ranges && c.source == source;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(ranges) * 31 + source;
        }
    }

    private static List<Partition.Cell<IpAddress, Integer>> addressCells(List<Contribution> contributions,
                                                                         IpFamily family) {
        List<Partition.Piece<IpAddress, Integer>> pieces = new ArrayList<>();
        for (Contribution c : contributions) {
            for (IpRange r : c.ranges()) {
                if (r.family() == family) {
                    pieces.add(new Partition.Piece<>(r.first(), r.last(), c.source()));
                }
            }
        }
        return Partition.of(pieces, Partition.ADDRESSES);
    }

    private List<Source> sourcesOf(SortedSet<Integer> numbers) {
        List<Source> list = new ArrayList<>(numbers.size());
        numbers.forEach(n -> list.add(sources.get(n)));
        list.sort(null);
        return List.copyOf(list);
    }
}
