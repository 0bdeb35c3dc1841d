package io.nftpolicy.compile;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.net.Partition;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.ArrayList;
import java.util.List;

/**
 * What one group of pods is allowed in one direction, collected rule by rule and then flattened into the elements
 * of two sets per family: peers allowed on every port ({@code any}) and peer·protocol·port boxes ({@code ports}).
 *
 * <p>Both sets are disjoint by construction: ports are cut into classes over which the same boxes apply, and within
 * a class the peers' address ranges are cut into cells, each cell remembering every source that allowed it. So a
 * packet costs one lookup per set however many policies contributed, and each element still names its origins.
 */
final class Allowances {
    /** Peers allowed on every protocol and port. */
    private final List<Partition.Piece<IpAddress, Source>> any = new ArrayList<>();
    /** Peers allowed on one protocol's port range. */
    private final List<Box> boxes = new ArrayList<>();

    private record Box(List<IpRange> ranges, Protocol protocol, int firstPort, int lastPort, Source source) {}

    void allowAnyPort(List<IpRange> peers, Source source) {
        for (IpRange r : peers) {
            any.add(new Partition.Piece<>(r.first(), r.last(), source));
        }
    }

    void allowPorts(List<IpRange> peers, Protocol protocol, int firstPort, int lastPort, Source source) {
        if (!peers.isEmpty()) {
            boxes.add(new Box(List.copyOf(peers), protocol, firstPort, lastPort, source));
        }
    }

    /** Elements of the family's any-port set: disjoint address cells. */
    List<SetElement> anyElements(IpFamily family) {
        List<Partition.Piece<IpAddress, Source>> pieces = new ArrayList<>();
        for (var p : any) {
            if (p.first().family() == family) {
                pieces.add(p);
            }
        }
        List<SetElement> elements = new ArrayList<>();
        for (var cell : Partition.of(pieces, Partition.ADDRESSES)) {
            elements.add(new SetElement(
                    List.of(new KeyPart.Addresses(new IpRange(cell.first(), cell.last()))), List.copyOf(cell.labels())));
        }
        return elements;
    }

    /** Elements of the family's address·protocol·port set: disjoint boxes. */
    List<SetElement> portElements(IpFamily family) {
        List<SetElement> elements = new ArrayList<>();
        for (Protocol protocol : Protocol.values()) {
            List<Partition.Piece<Integer, Integer>> portPieces = new ArrayList<>();
            for (int i = 0; i < boxes.size(); i++) {
                Box b = boxes.get(i);
                if (b.protocol() == protocol && b.ranges().stream().anyMatch(r -> r.family() == family)) {
                    portPieces.add(new Partition.Piece<>(b.firstPort(), b.lastPort(), i));
                }
            }
            for (var portClass : Partition.of(portPieces, Partition.NUMBERS)) {
                List<Partition.Piece<IpAddress, Source>> addressPieces = new ArrayList<>();
                for (int boxIndex : portClass.labels()) {
                    Box b = boxes.get(boxIndex);
                    for (IpRange r : b.ranges()) {
                        if (r.family() == family) {
                            addressPieces.add(new Partition.Piece<>(r.first(), r.last(), b.source()));
                        }
                    }
                }
                KeyPart ports = new KeyPart.Ports(portClass.first(), portClass.last());
                for (var cell : Partition.of(addressPieces, Partition.ADDRESSES)) {
                    elements.add(new SetElement(List.of(
                            new KeyPart.Addresses(new IpRange(cell.first(), cell.last())),
                            new KeyPart.Proto(protocol), ports), List.copyOf(cell.labels())));
                }
            }
        }
        elements.sort(null);
        return elements;
    }
}
