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
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * A shared named set a group chain's rules look up, described by what it holds rather than by its elements. The
 * rules of a chain need only set names, so a chain can be laid out once and its sets filled (and, across
 * compilations, kept up to date) apart from it.
 */
sealed interface SetSpec {
    String name();

    /** The set with its elements, for these pods of its peer (ignored by {@link Fixed}). */
    NamedSet build(List<ClusterIndex.Member> pods);

    /** A set whose elements follow from the policy alone: an ipBlock or a set of protocol·port. */
    record Fixed(NamedSet set) implements SetSpec {
        @Override
        public String name() {
            return set.name();
        }

        @Override
        public NamedSet build(List<ClusterIndex.Member> pods) {
            return set;
        }
    }

    /**
     * A set of the pods of a selector peer, one element per pod (or per pod and port), the pod's name as comment.
     * Elements of different pods never share a key: a pod's addresses are its own.
     */
    sealed interface OfPods extends SetSpec {
        /** The peer in canonical form ({@link Peers#canonical}). */
        AllowedPeer.Pods peer();

        IpFamily family();

        /** The elements one pod contributes. */
        List<SetElement> elementsOf(ClusterIndex.Member pod);

        /** The set, given every element in key order. */
        NamedSet withElements(List<SetElement> sorted);

        /** What decides the elements (not the name or comment): sets with equal content keys hold the same elements. */
        Object contentKey();

        @Override
        default NamedSet build(List<ClusterIndex.Member> pods) {
            TreeSet<SetElement> elements = new TreeSet<>();
            for (ClusterIndex.Member pod : pods) {
                elements.addAll(elementsOf(pod));
            }
            return withElements(new ArrayList<>(elements));
        }
    }

    /** Addresses of the pods a selector peer covers. */
    record Addresses(String name, String description, AllowedPeer.Pods peer, IpFamily family) implements OfPods {
        @Override
        public List<SetElement> elementsOf(ClusterIndex.Member pod) {
            List<SetElement> elements = new ArrayList<>(1);
            for (IpAddress address : pod.addresses()) {
                if (address.family() == family) {
                    elements.add(new SetElement(List.of(new KeyPart.Addresses(IpRange.single(address))), List.of(),
                            pod.ref()));
                }
            }
            return elements;
        }

        @Override
        public NamedSet withElements(List<SetElement> sorted) {
            return new NamedSet(name, List.of(PeerSets.addressType(family)), false, description, sorted);
        }

        @Override
        public Object contentKey() {
            return family;
        }
    }

    /**
     * Destination pod · protocol · port for named ports, which resolve on each destination pod: one element per pod
     * and number, so pods that map a name to different numbers are each opened on their own number only.
     */
    record NamedPorts(String name, String description, AllowedPeer.Pods peer, List<AllowedPort.Named> names,
                      IpFamily family) implements OfPods {
        @Override
        public List<SetElement> elementsOf(ClusterIndex.Member pod) {
            return namedPortElements(pod, names, family, address -> true);
        }

        @Override
        public NamedSet withElements(List<SetElement> sorted) {
            return namedPortSet(name, description, family, sorted);
        }

        @Override
        public Object contentKey() {
            return List.of(names, family);
        }
    }

    /**
     * Destination address · protocol · port for the named ports of an egress rule with an ipBlock peer: an address
     * in the block that is a pod's has that pod's names (as the reference matcher resolves them: the block and the
     * port together), an address that is no pod's has none. Every pod is a candidate, its addresses in the block
     * (minus except) are kept.
     *
     * @param ranges the block's ranges, sorted and disjoint
     */
    record BlockNamedPorts(String name, String description, List<IpRange> ranges, List<AllowedPort.Named> names,
                           IpFamily family) implements OfPods {
        @Override
        public AllowedPeer.Pods peer() {
            return Peers.EVERY_POD;
        }

        @Override
        public List<SetElement> elementsOf(ClusterIndex.Member pod) {
            return namedPortElements(pod, names, family, address -> IpRanges.covers(ranges, address));
        }

        @Override
        public NamedSet withElements(List<SetElement> sorted) {
            return namedPortSet(name, description, family, sorted);
        }

        @Override
        public Object contentKey() {
            return List.of(ranges, names, family);
        }
    }

    private static List<SetElement> namedPortElements(ClusterIndex.Member pod, List<AllowedPort.Named> names,
                                                      IpFamily family, Predicate<IpAddress> wantedAddress) {
        TreeSet<SetElement> unique = new TreeSet<>();
        for (ContainerPort port : pod.ports()) {
            for (AllowedPort.Named wanted : names) {
                if (!port.name().equals(wanted.name()) || port.protocol() != wanted.protocol()) {
                    continue;
                }
                for (IpAddress address : pod.addresses()) {
                    if (address.family() == family && wantedAddress.test(address)) {
                        unique.add(new SetElement(List.of(new KeyPart.Addresses(IpRange.single(address)),
                                new KeyPart.Proto(port.protocol()), new KeyPart.Ports(port.port(), port.port())),
                                List.of(), pod.ref()));
                    }
                }
            }
        }
        return List.copyOf(unique);
    }

    private static NamedSet namedPortSet(String name, String description, IpFamily family, List<SetElement> sorted) {
        return new NamedSet(name, List.of(PeerSets.addressType(family), KeyType.INET_PROTO, KeyType.INET_SERVICE),
                false, description, sorted);
    }
}
