package io.nftpolicy.reachability;

import io.nftpolicy.cluster.Protocol;
import java.util.Locale;
import java.util.Objects;

/** A protocol and port a pod serves and a probe aims at; written {@code TCP/80} as in the upstream e2e tables. */
public record Endpoint(Protocol protocol, int port) {
    public Endpoint {
        Objects.requireNonNull(protocol, "protocol");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port out of range 1-65535: " + port);
        }
    }

    public static Endpoint tcp(int port) {
        return new Endpoint(Protocol.TCP, port);
    }

    public static Endpoint udp(int port) {
        return new Endpoint(Protocol.UDP, port);
    }

    /** Reads {@link #label()} back: {@code TCP/80}, case-insensitive. */
    public static Endpoint parse(String label) {
        int slash = label.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("not PROTOCOL/PORT: " + label);
        }
        Protocol protocol = Protocol.fromKubernetes(label.substring(0, slash).toUpperCase(Locale.ROOT))
                .orElseThrow(() -> new IllegalArgumentException("unknown protocol in " + label));
        try {
            return new Endpoint(protocol, Integer.parseInt(label.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not PROTOCOL/PORT: " + label, e);
        }
    }

    public String label() {
        return protocol.name() + "/" + port;
    }

    @Override
    public String toString() {
        return label();
    }
}
