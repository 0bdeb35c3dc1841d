package io.nftpolicy.lab;

import io.nftpolicy.reachability.Endpoint;
import java.util.List;
import java.util.Objects;

/**
 * A pod as the lab needs it: where it runs, which addresses it has, what it answers on.
 *
 * @param name      unique, conventionally {@code namespace/pod}; also the answer its servers send, so a probe can
 *                  tell that it reached this pod and not another one that happens to hold a stale address
 * @param node      the node it runs on; nodes are derived from these names
 * @param addresses one IPv4 and/or one IPv6 literal; the lab puts the pod into the /24 or /64 around each
 * @param serves    TCP and UDP endpoints it listens on (SCTP endpoints are accepted and ignored: this kernel has no
 *                  SCTP)
 */
public record LabPod(String name, String node, List<String> addresses, List<Endpoint> serves) {
    public LabPod {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(node, "node");
        addresses = List.copyOf(addresses);
        serves = List.copyOf(serves);
    }
}
