package io.nftpolicy.compile;

import io.nftpolicy.cluster.Protocol;

/** A validated entry of a rule's ports. */
sealed interface AllowedPort {
    Protocol protocol();

    /** A number or an endPort range, inclusive; every port of the protocol is 0-65535. */
    record Range(Protocol protocol, int first, int last) implements AllowedPort {}

    /** A container port name, resolved on the destination pod (name and protocol must both match). */
    record Named(Protocol protocol, String name) implements AllowedPort {}
}
