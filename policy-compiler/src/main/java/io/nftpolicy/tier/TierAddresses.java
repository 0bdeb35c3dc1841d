package io.nftpolicy.tier;

import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Node;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.selector.Selector;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a tier peer or subject stands for in one compilation: the pods a selector pair selects, and a peer's addresses
 * per family, each single address with its owner (a pod, {@code node NAME}) so that set elements can say whose
 * address they are. Many chains and runs name the same peers: each is resolved once.
 */
final class TierAddresses {
    /** An address or range of a peer; {@code owner} is empty for a range of {@code networks}. */
    record Address(IpRange range, String owner) {}

    private final Map<String, Map<String, String>> namespaceLabels;
    private final List<Pod> pods;
    private final List<Node> nodes;
    private final Map<TierPolicy.PodsPeer, List<Pod>> peerPods = new HashMap<>();
    private final Map<TierPolicy.TierPeer, Map<IpFamily, List<Address>>> addresses = new HashMap<>();

    TierAddresses(Map<String, Map<String, String>> namespaceLabels, List<Pod> pods, List<Node> nodes) {
        this.namespaceLabels = namespaceLabels;
        this.pods = pods;
        this.nodes = nodes;
    }

    boolean selects(Selector namespaces, java.util.Optional<Selector> podSelector, Pod pod) {
        return namespaces.matches(labelsOf(pod.namespace()))
                && podSelector.map(s -> s.matches(pod.labels())).orElse(true);
    }

    /** The pods of a pods or namespaces peer (never host-network: they do not participate). */
    List<Pod> podsOf(TierPolicy.PodsPeer peer) {
        return peerPods.computeIfAbsent(peer, p -> pods.stream()
                .filter(pod -> selects(p.namespaces(), p.pods(), pod)).toList());
    }

    /** The peer's addresses in the family, in address order; empty when it has none there. */
    List<Address> of(TierPolicy.TierPeer peer, IpFamily family) {
        return addresses.computeIfAbsent(peer, p -> new EnumMap<>(IpFamily.class))
                .computeIfAbsent(family, f -> resolve(peer, f));
    }

    private List<Address> resolve(TierPolicy.TierPeer peer, IpFamily family) {
        if (peer instanceof TierPolicy.NetworksPeer networks) {
            return networks.ranges().stream().filter(r -> r.family() == family).map(r -> new Address(r, "")).toList();
        }
        Map<IpAddress, String> singles = new TreeMap<>();
        if (peer instanceof TierPolicy.PodsPeer podsPeer) {
            for (Pod pod : podsOf(podsPeer)) {
                addresses(pod.ips(), family).forEach(a -> singles.putIfAbsent(a, pod.ref()));
            }
        } else {
            TierPolicy.NodesPeer nodesPeer = (TierPolicy.NodesPeer) peer;
            for (Node node : nodes) {
                if (nodesPeer.nodes().matches(node.labels())) {
                    addresses(node.addresses(), family).forEach(a -> singles.putIfAbsent(a, "node " + node.name()));
                }
            }
        }
        List<Address> out = new ArrayList<>(singles.size());
        singles.forEach((a, owner) -> out.add(new Address(IpRange.single(a), owner)));
        return List.copyOf(out);
    }

    private Map<String, String> labelsOf(String namespace) {
        return namespaceLabels.computeIfAbsent(namespace, n -> new Namespace(n, Map.of()).labels());
    }

    /** The addresses of the family among {@code texts}; those that are not addresses are skipped (reported elsewhere). */
    static List<IpAddress> addresses(List<String> texts, IpFamily family) {
        List<IpAddress> out = new ArrayList<>();
        for (String text : texts) {
            try {
                IpAddress address = IpAddress.parse(text);
                if (address.family() == family && !out.contains(address)) {
                    out.add(address);
                }
            } catch (IllegalArgumentException e) {
                // ClusterIndex reports a pod's bad address; a node's is simply not a peer address.
            }
        }
        return out;
    }
}
