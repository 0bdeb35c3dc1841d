package io.nftpolicy.backend.nflog;

import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a logged packet's headers say: addresses, the transport protocol, and its ports for TCP, UDP and SCTP.
 *
 * @param protocol        the IP protocol number (6 TCP, 17 UDP, 132 SCTP, 1 ICMP, 58 ICMPv6)
 * @param sourcePort      empty for protocols without ports, or a packet cut before them
 * @param destinationPort likewise
 */
public record PacketHeaders(IpAddress source, IpAddress destination, int protocol, OptionalInt sourcePort,
                            OptionalInt destinationPort) {
    private static final int TCP = 6;
    private static final int UDP = 17;
    private static final int SCTP = 132;
    /** IPv6 extension headers that a transport header may follow: hop-by-hop, routing, destination options. */
    private static final int[] IPV6_EXTENSIONS = {0, 43, 60};

    /** The headers of a packet that starts with its IPv4 or IPv6 header; empty when it is neither or is cut short. */
    public static Optional<PacketHeaders> decode(byte[] packet) {
        if (packet.length < 1) {
            return Optional.empty();
        }
        int version = (packet[0] & 0xff) >>> 4;
        if (version == 4 && packet.length >= 20) {
            int headerLength = (packet[0] & 0x0f) * 4;
            boolean firstFragment = ((packet[6] & 0x1f) | packet[7]) == 0;
            return Optional.of(transport(address(packet, 12, 4), address(packet, 16, 4), packet[9] & 0xff,
                    firstFragment ? headerLength : -1, packet));
        }
        if (version == 6 && packet.length >= 40) {
            int next = packet[6] & 0xff;
            int at = 40;
            while (isExtension(next) && at + 8 <= packet.length) {
                int length = ((packet[at + 1] & 0xff) + 1) * 8;
                next = packet[at] & 0xff;
                at += length;
            }
            return Optional.of(transport(address(packet, 8, 16), address(packet, 24, 16), next,
                    isExtension(next) || next == 44 ? -1 : at, packet));
        }
        return Optional.empty();
    }

    private static boolean isExtension(int header) {
        return Arrays.stream(IPV6_EXTENSIONS).anyMatch(h -> h == header);
    }

    private static PacketHeaders transport(IpAddress source, IpAddress destination, int protocol, int at,
                                           byte[] packet) {
        boolean ports = protocol == TCP || protocol == UDP || protocol == SCTP;
        if (!ports || at < 0 || at + 4 > packet.length) {
            return new PacketHeaders(source, destination, protocol, OptionalInt.empty(), OptionalInt.empty());
        }
        return new PacketHeaders(source, destination, protocol, OptionalInt.of(port(packet, at)),
                OptionalInt.of(port(packet, at + 2)));
    }

    private static int port(byte[] packet, int at) {
        return (packet[at] & 0xff) << 8 | packet[at + 1] & 0xff;
    }

    private static IpAddress address(byte[] packet, int at, int length) {
        return new IpAddress(length == 4 ? IpFamily.IPV4 : IpFamily.IPV6,
                new BigInteger(1, Arrays.copyOfRange(packet, at, at + length)));
    }

    /** The protocol's name as NetworkPolicy spells it (TCP, UDP, SCTP), else as nft does, else its number. */
    public String protocolName() {
        return switch (protocol) {
            case TCP -> "TCP";
            case UDP -> "UDP";
            case SCTP -> "SCTP";
            case 1 -> "ICMP";
            case 58 -> "ICMPv6";
            default -> Integer.toString(protocol);
        };
    }
}
