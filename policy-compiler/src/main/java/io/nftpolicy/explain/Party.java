package io.nftpolicy.explain;

import io.nftpolicy.cluster.Pod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One end of a connection: a pod of the snapshot, or an address outside of it.
 *
 * @param name      namespace/name of the pod, or the address as given
 * @param pod       the pod, when the end is one (a hostNetwork pod stands for its node)
 * @param addresses the end's addresses, at most one per family
 */
public record Party(String name, Optional<Pod> pod, List<IpAddress> addresses) {
    public Party {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(pod, "pod");
        addresses = List.copyOf(addresses);
    }

    public Optional<IpAddress> address(IpFamily family) {
        return addresses.stream().filter(a -> a.family() == family).findFirst();
    }

    /** The node whose table sees this end's traffic first: the pod's node; empty for an outside address. */
    public Optional<String> node() {
        return pod.map(Pod::nodeName);
    }

    /** A hostNetwork pod: its traffic is the node's own. */
    public boolean isNode() {
        return pod.filter(Pod::hostNetwork).isPresent();
    }

    /** e.g. {@code dev/db (10.244.1.10 on node-1)} or {@code 192.0.2.1 (outside the snapshot's pods)}. */
    public String describe(IpAddress address) {
        if (pod.isEmpty()) {
            return address + " (outside the snapshot's pods)";
        }
        String what = isNode() ? "hostNetwork, the address of node " : "on ";
        return name + " (" + (name.equals(address.toString()) ? "" : address + " ") + what + pod.get().nodeName() + ")";
    }
}
