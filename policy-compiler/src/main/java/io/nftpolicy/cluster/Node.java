package io.nftpolicy.cluster;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The fields of a Node that ClusterNetworkPolicy reads: its labels, for {@code nodes} peers, and the addresses of
 * its status.addresses (InternalIP and ExternalIP), which such a peer matches.
 *
 * @param addresses as written in the object; the compiler parses them and reports those it cannot
 */
public record Node(String name, Map<String, String> labels, List<String> addresses) {
    public Node {
        Objects.requireNonNull(name, "name");
        labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels == null ? Map.of() : labels));
        addresses = List.copyOf(addresses == null ? List.of() : addresses);
    }
}
