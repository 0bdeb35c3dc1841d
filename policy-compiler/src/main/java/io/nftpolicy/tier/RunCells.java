package io.nftpolicy.tier;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.net.Partition;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;

/**
 * The elements of one run's sets in one family: what every rule of the run matches, cut into disjoint cells (an
 * interval set admits no overlap), each cell with every rule peer that covers it. Within a run all rules have one
 * action, so the union is all that matters for the verdict; the sources say which rules it came from.
 *
 * <p>A label is a source number and an owner number; each single address of a pod or node gets an owner number of
 * its own, so two neighbouring pods never merge into a range and each element still names its pod.
 */
final class RunCells {
    private final List<Source> sources = new ArrayList<>();
    private final Map<Source, Integer> sourceNumbers = new HashMap<>();
    private final List<String> owners = new ArrayList<>(List.of(""));
    private final Map<IpAddress, Integer> ownerNumbers = new HashMap<>();
    private final List<Partition.Piece<IpAddress, Long>> any = new ArrayList<>();
    private final List<Box> boxes = new ArrayList<>();

    private record Box(List<Partition.Piece<IpAddress, Long>> pieces, Protocol protocol, int first, int last) {}

    /** The peer's addresses on every port. */
    void anyPort(List<TierAddresses.Address> addresses, Source source) {
        any.addAll(pieces(addresses, source));
    }

    /** The peer's addresses on one protocol's ports first..last. */
    void ports(List<TierAddresses.Address> addresses, Protocol protocol, int first, int last, Source source) {
        if (!addresses.isEmpty()) {
            boxes.add(new Box(pieces(addresses, source), protocol, first, last));
        }
    }

    private List<Partition.Piece<IpAddress, Long>> pieces(List<TierAddresses.Address> addresses, Source source) {
        int s = sourceNumbers.computeIfAbsent(source, k -> {
            sources.add(k);
            return sources.size() - 1;
        });
        List<Partition.Piece<IpAddress, Long>> out = new ArrayList<>(addresses.size());
        for (TierAddresses.Address a : addresses) {
            int owner = 0;
            if (!a.owner().isEmpty()) {
                owner = ownerNumbers.computeIfAbsent(a.range().first(), k -> {
                    owners.add(a.owner());
                    return owners.size() - 1;
                });
            }
            out.add(new Partition.Piece<>(a.range().first(), a.range().last(), ((long) owner << 32) | s));
        }
        return out;
    }

    /** Disjoint address cells matched on every port. */
    List<SetElement> anyElements() {
        Labels labels = new Labels();
        List<SetElement> elements = new ArrayList<>();
        for (var cell : Partition.of(any, Partition.ADDRESSES)) {
            elements.add(labels.element(List.of(address(cell)), cell.labels()));
        }
        return elements;
    }

    /** Disjoint address·protocol·port cells: ports cut into classes over which the same boxes apply, then addresses. */
    List<SetElement> portElements() {
        Labels labels = new Labels();
        List<SetElement> elements = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            List<Box> ofProtocol = boxes.stream().filter(b -> b.protocol() == protocol).toList();
            List<Partition.Piece<Integer, Integer>> portPieces = new ArrayList<>();
            for (int i = 0; i < ofProtocol.size(); i++) {
                portPieces.add(new Partition.Piece<>(ofProtocol.get(i).first(), ofProtocol.get(i).last(), i));
            }
            for (var portClass : Partition.of(portPieces, Partition.NUMBERS)) {
                List<Partition.Piece<IpAddress, Long>> pieces = new ArrayList<>();
                portClass.labels().forEach(i -> pieces.addAll(ofProtocol.get(i).pieces()));
                KeyPart proto = new KeyPart.Proto(protocol);
                KeyPart ports = new KeyPart.Ports(portClass.first(), portClass.last());
                for (var cell : Partition.of(pieces, Partition.ADDRESSES)) {
                    elements.add(labels.element(List.of(address(cell), proto, ports), cell.labels()));
                }
            }
        }
        elements.sort(null);
        return elements;
    }

    private static KeyPart address(Partition.Cell<IpAddress, Long> cell) {
        return new KeyPart.Addresses(new IpRange(cell.first(), cell.last()));
    }

    /** Cells with the same labels share one list of sources (Partition shares the label set instance). */
    private final class Labels {
        private final Map<SortedSet<Long>, List<Source>> lists = new IdentityHashMap<>();

        SetElement element(List<KeyPart> key, SortedSet<Long> labels) {
            String owner = "";
            for (long label : labels) {
                int number = (int) (label >>> 32);
                if (number != 0) {
                    owner = owners.get(number);
                }
            }
            return new SetElement(key, lists.computeIfAbsent(labels, this::sourcesOf), owner);
        }

        private List<Source> sourcesOf(SortedSet<Long> labels) {
            List<Source> list = new ArrayList<>();
            for (long label : labels) {
                Source source = sources.get((int) label);
                if (!list.contains(source)) {
                    list.add(source);
                }
            }
            list.sort(null);
            return List.copyOf(list);
        }
    }
}
