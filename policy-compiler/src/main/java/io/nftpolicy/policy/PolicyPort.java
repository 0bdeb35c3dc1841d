package io.nftpolicy.policy;

import java.util.Optional;

/**
 * One entry of a rule's ports list, as written. protocol absent means TCP; port absent means every port of the
 * protocol; a port is a number or the name of a container port on the destination pod.
 *
 * @param protocol the Kubernetes spelling (TCP, UDP, SCTP); validated by the compiler
 */
public record PolicyPort(Optional<String> protocol, Optional<PortRef> port, Optional<Integer> endPort) {

    public static PolicyPort tcp(int port) {
        return new PolicyPort(Optional.of("TCP"), Optional.of(new PortRef.Number(port)), Optional.empty());
    }

    public static PolicyPort of(String protocol, int port) {
        return new PolicyPort(Optional.of(protocol), Optional.of(new PortRef.Number(port)), Optional.empty());
    }

    public static PolicyPort named(String protocol, String name) {
        return new PolicyPort(Optional.ofNullable(protocol), Optional.of(new PortRef.Named(name)), Optional.empty());
    }

    public static PolicyPort range(String protocol, int port, int endPort) {
        return new PolicyPort(Optional.of(protocol), Optional.of(new PortRef.Number(port)), Optional.of(endPort));
    }

    /** A port given as a number or a name (IntOrString in the API). */
    public sealed interface PortRef {
        record Number(int value) implements PortRef {}

        record Named(String name) implements PortRef {}
    }
}
