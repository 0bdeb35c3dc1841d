package io.nftpolicy.cluster;

import java.util.Objects;

/**
 * A port a container (or init container) declares. Only its name, number and protocol matter to policy:
 * named ports in a NetworkPolicy resolve against them on the destination pod.
 *
 * @param name empty string when the port has no name
 */
public record ContainerPort(String name, int port, Protocol protocol) {
    public ContainerPort {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(protocol, "protocol");
    }

    public static ContainerPort named(String name, int port, Protocol protocol) {
        return new ContainerPort(name, port, protocol);
    }

    public boolean hasName() {
        return !name.isEmpty();
    }
}
