package io.nftpolicy.explain;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.explain.Connection.Hop;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * What a cluster's compiled tables do with a connection between two ends: which nodes' tables its first packet
 * crosses, at which hook, and each one's trace. Pure: the rulesets come from a function of the node name (the
 * command line compiles them), each evaluated once however many connections are explained.
 *
 * <p>The path, as Flannel wires it (docs/ruleset.md): a pod's packets cross its node's forward hook, towards a pod
 * of another node that node's forward hook too, and towards its own node's address the input hook. A node's own
 * traffic (a hostNetwork pod's) leaves through the output hook, which nftpolicy does not filter, and a pod's
 * connection to itself never leaves its network namespace.
 */
public final class ConnectionExplainer {
    private final ClusterSnapshot snapshot;
    private final Function<String, Ruleset> rulesetOfNode;
    private final Map<String, RulesetEvaluator> evaluators = new HashMap<>();

    public ConnectionExplainer(ClusterSnapshot snapshot, Function<String, Ruleset> rulesetOfNode) {
        this.snapshot = snapshot;
        this.rulesetOfNode = rulesetOfNode;
    }

    /**
     * The pods a matrix is made of: running or pending on a node with an address, neither hostNetwork nor finished,
     * in the snapshot's order.
     */
    public List<Party> pods(Predicate<String> namespace) {
        List<Party> pods = new ArrayList<>();
        for (Pod pod : snapshot.pods()) {
            if (namespace.test(pod.namespace()) && pod.participates() && !pod.nodeName().isEmpty()) {
                List<IpAddress> addresses = addresses(pod);
                if (!addresses.isEmpty()) {
                    pods.add(new Party(pod.ref(), Optional.of(pod), addresses));
                }
            }
        }
        return pods;
    }

    /**
     * Every pair of {@code pods} (sources first) on every port and family both ends have an address of, in
     * sandbox's order: port, family, source, destination. What explain's matrix and the audit report show.
     */
    public Map<Reachability.Cell, Connection> matrix(List<Party> pods, List<Endpoint> endpoints) {
        Map<Reachability.Cell, Connection> cells = new LinkedHashMap<>();
        for (Endpoint endpoint : endpoints) {
            for (IpFamily family : IpFamily.values()) {
                for (Party from : pods) {
                    for (Party to : pods) {
                        if (from.address(family).isEmpty() || to.address(family).isEmpty()) {
                            continue;
                        }
                        Connection connection = explain(from, to, endpoint.protocol(), endpoint.port()).stream()
                                .filter(c -> c.packet().family() == family).findFirst().orElseThrow();
                        cells.put(new Reachability.Cell(endpoint, family, from.name(), to.name()), connection);
                    }
                }
            }
        }
        return cells;
    }

    /**
     * {@code namespace/name} of a pod, or an IP address (the pod that has it, if one does).
     *
     * @throws InvalidEndException naming what is wrong: no such pod, a pod without address or node, a
     *                                  finished pod, or text that is neither
     */
    public Party party(String text) {
        Optional<IpAddress> address = parseAddress(text);
        if (address.isPresent()) {
            return byAddress(address.get()).orElse(new Party(text, Optional.empty(), List.of(address.get())));
        }
        String[] parts = text.split("/", -1);
        if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new InvalidEndException("'" + text + "' is neither namespace/pod nor an IP address");
        }
        Pod pod = snapshot.pods().stream().filter(p -> p.ref().equals(text)).findFirst()
                .orElseThrow(() -> new InvalidEndException("no pod " + text + " in the snapshot" + others(parts[0])));
        if (pod.phase().finished()) {
            throw new InvalidEndException("pod " + text + " has finished (" + pod.phase() + "): it holds no "
                    + "address, and no policy applies to it");
        }
        if (pod.nodeName().isEmpty()) {
            throw new InvalidEndException("pod " + text + " is not scheduled (spec.nodeName is empty): no node "
                    + "enforces anything for it yet");
        }
        List<IpAddress> addresses = addresses(pod);
        if (addresses.isEmpty()) {
            throw new InvalidEndException("pod " + text + " has no address (status.podIPs)");
        }
        return new Party(text, Optional.of(pod), addresses);
    }

    /**
     * The connection over each address family both ends have, IPv4 first.
     *
     * @throws InvalidEndException when the ends share no family, or neither is a pod
     */
    public List<Connection> explain(Party from, Party to, Protocol protocol, int port) {
        if (from.pod().isEmpty() && to.pod().isEmpty()) {
            throw new InvalidEndException("neither " + from.name() + " nor " + to.name() + " is a pod of the "
                    + "snapshot: no node's table is known to see this connection");
        }
        List<Connection> connections = new ArrayList<>();
        for (IpFamily family : IpFamily.values()) {
            Optional<IpAddress> source = from.address(family);
            Optional<IpAddress> destination = to.address(family);
            if (source.isPresent() && destination.isPresent()) {
                connections.add(path(from, to, new Packet(source.get(), destination.get(), protocol, port)));
            }
        }
        if (connections.isEmpty()) {
            throw new InvalidEndException(from.name() + " (" + families(from) + ") and " + to.name() + " ("
                    + families(to) + ") have no address family in common");
        }
        return connections;
    }

    private Connection path(Party from, Party to, Packet packet) {
        if (packet.source().equals(packet.destination())) {
            return new Connection(from, to, packet, List.of(), Optional.of(from.isNode()
                    ? "a node's connection to itself: the output and input hooks of the loopback, which nftpolicy "
                            + "does not filter for the node's own addresses"
                    : "a pod's connection to itself stays inside its network namespace: no node's table sees it"));
        }
        Optional<String> fromNode = from.node();
        Optional<String> toNode = to.node();
        Hook arrival = to.isNode() ? Hook.INPUT : Hook.FORWARD;
        List<Hop> hops = new ArrayList<>();
        if (from.isNode()) {
            if (toNode.isEmpty() || toNode.equals(fromNode)) {
                return new Connection(from, to, packet, List.of(), Optional.of("traffic from node " + fromNode.get()
                        + " leaves through its output hook, which nftpolicy does not filter (kubelet probes must pass)"));
            }
            hops.add(hop(toNode.get(), "destination's node", packet, arrival));
            return new Connection(from, to, packet, hops, Optional.empty());
        }
        if (fromNode.isPresent()) {
            boolean sameNode = fromNode.equals(toNode);
            Hook departure = sameNode ? arrival : Hook.FORWARD;
            hops.add(hop(fromNode.get(), sameNode ? "node of both ends" : "source's node", packet, departure));
        }
        boolean dropped = hops.stream().anyMatch(h -> !h.trace().accepted());
        if (toNode.isPresent() && !toNode.equals(fromNode) && !dropped) {
            hops.add(hop(toNode.get(), "destination's node", packet, arrival));
        }
        return new Connection(from, to, packet, hops, Optional.empty());
    }

    private Hop hop(String node, String role, Packet packet, Hook hook) {
        RulesetEvaluator evaluator = evaluators.computeIfAbsent(node, n -> new RulesetEvaluator(rulesetOfNode.apply(n)));
        return new Hop(node, role, evaluator.evaluate(packet, hook));
    }

    /** A participating pod first; otherwise a hostNetwork pod, which stands for its node. */
    private Optional<Party> byAddress(IpAddress address) {
        Optional<Pod> pod = snapshot.pods().stream()
                .filter(p -> p.participates() && !p.nodeName().isEmpty() && addresses(p).contains(address))
                .findFirst()
                .or(() -> snapshot.pods().stream()
                        .filter(p -> p.hostNetwork() && !p.nodeName().isEmpty() && addresses(p).contains(address))
                        .findFirst());
        return pod.map(p -> new Party(p.hostNetwork() ? address.toString() : p.ref(), Optional.of(p), addresses(p)));
    }

    private String others(String namespace) {
        List<String> names = snapshot.pods().stream().filter(p -> p.namespace().equals(namespace)).map(Pod::name)
                .limit(11).toList();
        if (names.isEmpty()) {
            return " (namespace " + namespace + " has no pods in it)";
        }
        return " (pods of namespace " + namespace + ": " + String.join(", ", names.stream().limit(10).toList())
                + (names.size() > 10 ? ", ..." : "") + ")";
    }

    private static String families(Party party) {
        return party.addresses().stream().map(a -> a.family() == IpFamily.IPV4 ? "IPv4" : "IPv6").distinct()
                .reduce((a, b) -> a + " and " + b).orElse("no address");
    }

    /** The pod's addresses that parse, one per family; the compiler reports the others. */
    private static List<IpAddress> addresses(Pod pod) {
        List<IpAddress> addresses = new ArrayList<>();
        for (String ip : pod.ips()) {
            parseAddress(ip).filter(a -> addresses.stream().noneMatch(b -> b.family() == a.family()))
                    .ifPresent(addresses::add);
        }
        return addresses;
    }

    private static Optional<IpAddress> parseAddress(String text) {
        try {
            return Optional.of(IpAddress.parse(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
