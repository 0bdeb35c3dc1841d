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
 * <p>The server is the worst realistic case for the compiled layout: a pod selected by the most ingress policies,
 * with the longest compiled chain among those, near the middle of the address order (so that the linear layout
 * costs about its average, not its best or worst), which some client reaches only through a rule other than the
 * first of its chain. The allowed client is the one whose allowing rule comes latest in that chain, preferring a
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
    private static final int MAX_SERVERS_TRIED = 25;

    static ProbePlan choose(ClusterSnapshot snapshot, Map<String, Ruleset> compiled, LinearLayout serverNodeLinear) {
        Map<IpAddress, List<String>> ingress = serverNodeLinear.ingress();
        int most = ingress.values().stream().mapToInt(List::size).max()
                .orElseThrow(() -> new IllegalArgumentException("no pod on " + SERVER_NODE
                        + " is isolated for ingress"));
        FirstPacket serverNode = new FirstPacket(compiled.get(SERVER_NODE));
        FirstPacket otherNode = new FirstPacket(compiled.get(OTHER_NODE));
        // Of those, the ones whose compiled chain is longest: the most rules a first packet may walk in (b).
        int longest = ingress.entrySet().stream().filter(e -> e.getValue().size() == most)
                .mapToInt(e -> serverNode.chainLength(e.getKey())).max().orElseThrow();
        List<IpAddress> candidates = ingress.entrySet().stream().filter(e -> e.getValue().size() == most)
                .map(Map.Entry::getKey).filter(a -> serverNode.chainLength(a) == longest).toList();
        // From the middle of the address order outwards, the first server some client reaches through a rule
        // other than the first of its chain; the middle one if none within a few.
        ProbePlan middle = null;
        int mid = candidates.size() / 2;
        for (int step = 0; step < Math.min(candidates.size(), MAX_SERVERS_TRIED); step++) {
            int i = mid + (step % 2 == 0 ? step / 2 : -(step + 1) / 2);
            if (i < 0 || i >= candidates.size()) {
                continue;
            }
            ProbePlan plan = forServer(snapshot, podAt(snapshot, candidates.get(i)), candidates.get(i), most,
                    serverNode, otherNode);
            if (plan == null) {
                continue;
            }
            if (plan.allowed(Placement.SAME_NODE).ingressRule() > 1) {
                return plan;
            }
            middle = middle != null ? middle : plan;
        }
        if (middle == null) {
            throw new IllegalStateException("no server on " + SERVER_NODE + " with both an allowed client on each "
                    + "node and a denied one");
        }
        return middle;
    }

    /** Probes for one server, or null when it lacks an allowed client on either node or any denied client. */
    private static ProbePlan forServer(ClusterSnapshot snapshot, Pod server, IpAddress serverAddress, int policies,
                                       FirstPacket serverNode, FirstPacket otherNode) {
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
                    FirstPacket.Outcome serverSide = serverNode.walk(clientAddress, serverAddress, Protocol.TCP, port);
                    FirstPacket.Outcome clientSide = placement == Placement.SAME_NODE ? null
                            : otherNode.walk(clientAddress, serverAddress, Protocol.TCP, port);
                    Probe probe = probe(placement, client, port, serverSide, clientSide, serverNode, serverAddress);
                    if (probe.allowed() && (bestAllowed == null || score(probe) > score(bestAllowed))) {
                        bestAllowed = probe;
                    }
                    if (!probe.allowed() && firstDenied == null && probe.ingressRules() > 0) {
                        firstDenied = probe;
                    }
                }
            }
            if (bestAllowed == null) {
                return null;
            }
            probes.add(bestAllowed);
            if (firstDenied != null) {
                probes.add(firstDenied);
            }
        }
        return probes.stream().allMatch(Probe::allowed) ? null : new ProbePlan(server, policies, probes);
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
