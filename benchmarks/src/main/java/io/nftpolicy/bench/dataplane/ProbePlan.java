package io.nftpolicy.bench.dataplane;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What the benchmark probes in a generated cluster: one server pod on the first node, and per placement (client on
 * the same node, client on the other node) a client the policies allow and, where one exists, a client they deny.
 *
 * <p>The server is the worst realistic case for the compiled layout: among the pods selected by the most ingress
 * policies, the one in the middle of the address order (so the linear layout's cost is its average, not its best
 * or worst). The allowed client is the one whose allowing rule comes latest in the server's chain, preferring a
 * client that is itself isolated for egress (one more chain on its node).
 *
 * @param server         the probed server
 * @param serverPolicies how many policies select the server for ingress
 * @param probes         per placement, the allowed and denied pairs
 */
record ProbePlan(Pod server, int serverPolicies, List<Probe> probes) {

    /** Where the client runs relative to the server. */
    enum Placement {
        SAME_NODE("same node"), CROSS_NODE("across nodes");

        final String label;

        Placement(String label) {
            this.label = label;
        }
    }

    /**
     * One probed pair.
     *
     * @param allowed       what the policies say; the benchmark checks the kernel agrees under both layouts
     * @param ingressRule   the 1-based position of the deciding rule in the server's chain, of {@code ingressRules}
     * @param egressRules   rules the client's egress chain evaluated, 0 when it is not isolated for egress
     */
    record Probe(Placement placement, Pod client, int port, boolean allowed, int ingressRule, int ingressRules,
                 int egressRules) {}

    static final String SERVER_NODE = "node-0";
    static final String OTHER_NODE = "node-1";

    static ProbePlan choose(ClusterSnapshot snapshot, Map<String, Ruleset> compiled, LinearLayout serverNodeLinear) {
        Map<IpAddress, List<String>> ingress = serverNodeLinear.ingress();
        int most = ingress.values().stream().mapToInt(List::size).max()
                .orElseThrow(() -> new IllegalArgumentException("no pod on " + SERVER_NODE + " is isolated for ingress"));
        List<IpAddress> candidates = ingress.entrySet().stream().filter(e -> e.getValue().size() == most)
                .map(Map.Entry::getKey).toList();
        IpAddress serverAddress = candidates.get(candidates.size() / 2);
        Pod server = podAt(snapshot, serverAddress);
        FirstPacket serverNode = new FirstPacket(compiled.get(SERVER_NODE));
        FirstPacket otherNode = new FirstPacket(compiled.get(OTHER_NODE));

        List<Probe> probes = new ArrayList<>();
        for (Placement placement : Placement.values()) {
            String clientNode = placement == Placement.SAME_NODE ? SERVER_NODE : OTHER_NODE;
            Probe bestAllowed = null;
            Probe firstDenied = null;
            for (Pod client : snapshot.pods()) {
                if (!client.nodeName().equals(clientNode) || client == server || client.ips().isEmpty()) {
                    continue;
                }
                IpAddress clientAddress = IpAddress.parse(client.ips().get(0));
                if (clientAddress.family() != IpFamily.IPV4) {
                    continue;
                }
                for (int port : ports(server)) {
                    Probe probe = placement == Placement.SAME_NODE
                            ? probe(placement, client, port, serverNode.walk(clientAddress, serverAddress, Protocol.TCP, port), null, serverNode, serverAddress)
                            : probe(placement, client, port,
                                    serverNode.walk(clientAddress, serverAddress, Protocol.TCP, port),
                                    otherNode.walk(clientAddress, serverAddress, Protocol.TCP, port), serverNode, serverAddress);
                    if (probe.allowed() && (bestAllowed == null || score(probe) > score(bestAllowed))) {
                        bestAllowed = probe;
                    }
                    if (!probe.allowed() && firstDenied == null && probe.ingressRules() > 0) {
                        firstDenied = probe;
                    }
                }
            }
            if (bestAllowed == null) {
                throw new IllegalStateException("no pod on " + clientNode + " may connect to " + server.ref());
            }
            probes.add(bestAllowed);
            if (firstDenied != null) {
                probes.add(firstDenied);
            }
        }
        if (probes.stream().allMatch(Probe::allowed)) {
            throw new IllegalStateException("the policies deny nothing to " + server.ref() + ": no denied probe");
        }
        return new ProbePlan(server, most, probes);
    }

    Probe allowed(Placement placement) {
        return probes.stream().filter(p -> p.placement() == placement && p.allowed()).findFirst().orElseThrow();
    }

    Optional<Probe> denied(Placement placement) {
        return probes.stream().filter(p -> p.placement() == placement && !p.allowed()).findFirst();
    }

    /** The TCP ports the server is probed on: the numbers of its named ports and two the policies list. */
    static List<Integer> ports(Pod server) {
        TreeSet<Integer> ports = new TreeSet<>(List.of(443, 8443));
        for (ContainerPort port : server.ports()) {
            if (port.protocol() == Protocol.TCP) {
                ports.add(port.port());
            }
        }
        return List.copyOf(ports);
    }

    private static Probe probe(Placement placement, Pod client, int port, FirstPacket.Outcome serverSide,
                               FirstPacket.Outcome clientSide, FirstPacket serverNode, IpAddress serverAddress) {
        // Same node: one walk decides both directions. Across nodes: egress on the client's node, ingress on the
        // server's; the other node sees nothing isolated (the walk returns null for that direction).
        FirstPacket.Decision egress = clientSide != null ? clientSide.egress() : serverSide.egress();
        FirstPacket.Decision ingress = serverSide.ingress();
        boolean allowed = (egress == null || egress.verdict().equals("return"))
                && (serverSide.egress() == null || serverSide.egress().verdict().equals("return"))
                && (ingress == null || ingress.verdict().equals("accept"));
        int ingressRules = ingress == null ? 0 : serverNode.chainLength(serverAddress);
        return new Probe(placement, client, port, allowed, ingress == null ? 0 : ingress.rule(), ingressRules,
                egress == null ? 0 : egress.rule());
    }

    private static long score(Probe p) {
        return p.ingressRule() * 1000L + p.egressRules();
    }

    private static Pod podAt(ClusterSnapshot snapshot, IpAddress address) {
        return snapshot.pods().stream().filter(p -> p.ips().contains(address.toString())).findFirst()
                .orElseThrow(() -> new IllegalStateException("no pod has address " + address));
    }
}
