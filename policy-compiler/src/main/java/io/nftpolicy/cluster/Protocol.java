package io.nftpolicy.cluster;

import java.util.Optional;

/** The transport protocols NetworkPolicy defines; anything else is rejected by validation. */
public enum Protocol {
    TCP("tcp"),
    UDP("udp"),
    SCTP("sctp");

    private final String nftName;

    Protocol(String nftName) {
        this.nftName = nftName;
    }

    /** The protocol's name as nftables writes it in an {@code inet_proto} element. */
    public String nftName() {
        return nftName;
    }

    /** Parses the Kubernetes spelling (upper case); empty when the name is not a NetworkPolicy protocol. */
    public static Optional<Protocol> fromKubernetes(String name) {
        for (Protocol p : values()) {
            if (p.name().equals(name)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
