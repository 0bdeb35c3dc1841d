package io.nftpolicy.explain;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import java.util.Objects;

/**
 * The first packet of a new connection: what a node's table decides on. Later packets are accepted as established
 * by the base chains' first rule, so this one packet's verdict is the connection's.
 */
public record Packet(IpAddress source, IpAddress destination, Protocol protocol, int port) {
    public Packet {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(destination, "destination");
        Objects.requireNonNull(protocol, "protocol");
        if (source.family() != destination.family()) {
            throw new IllegalArgumentException("a packet has one address family: " + source + " -> " + destination);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range 0-65535: " + port);
        }
    }

    public static Packet of(String source, String destination, Protocol protocol, int port) {
        return new Packet(IpAddress.parse(source), IpAddress.parse(destination), protocol, port);
    }

    public IpFamily family() {
        return source.family();
    }

    /** e.g. {@code 10.244.1.11 -> 10.244.1.10 tcp dport 6379}. */
    @Override
    public String toString() {
        return source + " -> " + destination + " " + protocol.nftName() + " dport " + port;
    }
}
