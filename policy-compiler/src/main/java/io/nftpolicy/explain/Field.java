package io.nftpolicy.explain;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.ruleset.KeyPart;
import java.util.Optional;

/** A packet field a rule can match on, as nft spells it. */
enum Field {
    IP_SADDR("ip saddr"),
    IP_DADDR("ip daddr"),
    IP6_SADDR("ip6 saddr"),
    IP6_DADDR("ip6 daddr"),
    L4PROTO("meta l4proto"),
    DPORT("th dport");

    private final String nft;

    Field(String nft) {
        this.nft = nft;
    }

    static Optional<Field> of(String payload, String name) {
        String text = payload + " " + name;
        for (Field f : values()) {
            if (f.nft.equals(text)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    String nft() {
        return nft;
    }

    /**
     * The field's value in the packet; empty when the packet has no such header. In an inet table {@code ip saddr}
     * carries an implicit "is IPv4" test, so it never matches an IPv6 packet.
     */
    Optional<Object> of(Packet packet) {
        return switch (this) {
            case IP_SADDR -> family(packet, IpFamily.IPV4, packet.source());
            case IP_DADDR -> family(packet, IpFamily.IPV4, packet.destination());
            case IP6_SADDR -> family(packet, IpFamily.IPV6, packet.source());
            case IP6_DADDR -> family(packet, IpFamily.IPV6, packet.destination());
            case L4PROTO -> Optional.of(packet.protocol());
            case DPORT -> Optional.of(packet.port());
        };
    }

    /** Why {@link #of} is empty for this packet. */
    String absentBecause(Packet packet) {
        String wanted = this == IP_SADDR || this == IP_DADDR ? "IPv4" : "IPv6";
        return "the packet is " + (packet.family() == IpFamily.IPV4 ? "IPv4" : "IPv6") + "; " + nft + " matches "
                + wanted + " only";
    }

    private static Optional<Object> family(Packet packet, IpFamily family, IpAddress address) {
        return packet.family() == family ? Optional.of(address) : Optional.empty();
    }

    /** Whether one part of a set element's key covers a value of this field. */
    static boolean covers(KeyPart part, Object value) {
        if (part instanceof KeyPart.Addresses a && value instanceof IpAddress address) {
            return a.range().contains(address);
        }
        if (part instanceof KeyPart.Proto p && value instanceof Protocol protocol) {
            return p.protocol() == protocol;
        }
        if (part instanceof KeyPart.Ports p && value instanceof Integer port) {
            return p.first() <= port && port <= p.last();
        }
        return false;
    }

    /** A value as nft prints it. */
    static String format(Object value) {
        return value instanceof Protocol p ? p.nftName() : String.valueOf(value);
    }
}
