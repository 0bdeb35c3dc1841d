package io.nftpolicy.bench.dataplane;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pod that the latency probes of {@code bin/bench peer} add, relabel and let in, on the server's node: a lab pod
 * at an address no generated pod has, which exists in the API only while a sample runs. Its namespace and its two
 * label sets are chosen so that each event flips its path to the probed server: with {@link #allowLabels} the
 * policies let it through (its egress and the server's ingress); with {@link #denyLabels} the policies of exactly
 * one end ({@link #denyingSide}) drop it, so that one policy on that end letting it through opens the path.
 *
 * @param namespace   the namespace it is created in
 * @param allowLabels labels of a pod of that namespace the policies allow to the server, plus {@link #PROBE_LABEL}
 * @param denyLabels  labels of one that one end's policies deny, plus {@link #PROBE_LABEL}
 * @param address     its IPv4 address
 * @param port        the server's TCP port probed
 * @param denyingSide the end whose policies keep it out with {@code denyLabels}
 */
record SpareProbe(String namespace, Map<String, String> allowLabels, Map<String, String> denyLabels, String address,
                  int port, Side denyingSide) {
    /** Which end's policies keep the spare out with its deny labels: the policy to create lets it through there. */
    enum Side { INGRESS, EGRESS }

    /** A label no generated selector names, which the "policy create" event's policy selects the spare by. */
    static final Map.Entry<String, String> PROBE_LABEL = Map.entry("nftpolicy.io/bench-probe", "spare");
    /** Inside the generator's 10.64.0.0/10 but in no generated node's range (two nodes use 10.64.0.0/17). */
    static final String ADDRESS = "10.120.0.10";

    /** Candidate pairs checked by a compile of the whole cluster (seconds each at 10,000 pods) before giving up. */
    private static final int MAX_CHECKED = 8;

    SpareProbe {
        allowLabels = Map.copyOf(allowLabels);
        denyLabels = Map.copyOf(denyLabels);
    }

    /**
     * Chooses, in one namespace (the same-node allowed client's first, then the server's, then the others), a pod
     * the server's ingress lets in and one it keeps out, and checks the pair by compiling the cluster with the spare
     * in it, on the server's node, with each one's labels.
     */
    static SpareProbe choose(ClusterSnapshot snapshot, ProbePlan plan, Ruleset serverNode) {
        Pod server = plan.server();
        IpAddress serverAddress = IpAddress.parse(server.ips().get(0));
        int port = plan.allowed(ProbePlan.Placement.SAME_NODE).port();
        FirstPacket walk = new FirstPacket(serverNode);
        Set<String> namespaces = new LinkedHashSet<>();
        namespaces.add(plan.allowed(ProbePlan.Placement.SAME_NODE).client().namespace());
        namespaces.add(server.namespace());
        snapshot.pods().forEach(p -> namespaces.add(p.namespace()));
        int compiled = 0;
        for (String namespace : namespaces) {
            // A pod of another node is judged here by the server's ingress alone; the spare's own egress (it runs
            // on the server's node) is judged by the compile with the spare in it.
            Pod allowed = null;
            Pod denied = null;
            for (Pod pod : snapshot.pods()) {
                if (!pod.namespace().equals(namespace) || pod == server || pod.ips().isEmpty()) {
                    continue;
                }
                IpAddress address = IpAddress.parse(pod.ips().get(0));
                if (address.family() != IpFamily.IPV4) {
                    continue;
                }
                FirstPacket.Outcome outcome = walk.walk(address, serverAddress, Protocol.TCP, port);
                if (allowed == null && outcome.allowed()) {
                    allowed = pod;
                } else if (denied == null && deniedBy(outcome) != null) {
                    denied = pod;
                }
            }
            if (allowed == null || denied == null) {
                continue;
            }
            SpareProbe spare = new SpareProbe(namespace, withProbeLabel(allowed), withProbeLabel(denied), ADDRESS,
                    port, null);
            Side side = deniedBy(spare.outcome(snapshot, serverAddress, false));
            if (spare.outcome(snapshot, serverAddress, true).allowed() && (side == Side.INGRESS
                    || side == Side.EGRESS && spare.ingressLetsDeniedIn(snapshot, serverAddress))) {
                return spare.deniedBy(side);
            }
            if (++compiled >= MAX_CHECKED) {
                break;
            }
        }
        throw new IllegalStateException("no namespace has both a pod the policies let into " + server.ref()
                + " and one only its ingress keeps out, that a pod on " + ProbePlan.SERVER_NODE + " could copy");
    }

    /** The spare as a pod of the cluster, with one of its label sets. */
    Pod pod(String name, boolean allowed) {
        return new Pod(namespace, name, allowed ? allowLabels : denyLabels, ProbePlan.SERVER_NODE, false,
                PodPhase.RUNNING, false, List.of(address), List.of());
    }

    private FirstPacket.Outcome outcome(ClusterSnapshot snapshot, IpAddress server, boolean allowed) {
        return outcome(snapshot, server, pod("bench-spare", allowed));
    }

    /**
     * The server's ingress verdict on the spare with its deny labels: judged with the spare placed on the other
     * node, where its own egress is not the server node's to judge (a walk stops at an egress drop).
     */
    private boolean ingressLetsDeniedIn(ClusterSnapshot snapshot, IpAddress server) {
        Pod elsewhere = new Pod(namespace, "bench-spare", denyLabels, ProbePlan.OTHER_NODE, false, PodPhase.RUNNING,
                false, List.of(address), List.of());
        FirstPacket.Decision ingress = outcome(snapshot, server, elsewhere).ingress();
        return ingress == null || ingress.verdict().equals("accept");
    }

    private FirstPacket.Outcome outcome(ClusterSnapshot snapshot, IpAddress server, Pod spare) {
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        pods.add(spare);
        Ruleset compiled = new EstablishedFlows().apply(new PolicyCompiler().compile(new ClusterSnapshot(
                snapshot.namespaces(), pods, snapshot.policies()), ProbePlan.SERVER_NODE).ruleset());
        return new FirstPacket(compiled).walk(IpAddress.parse(address), server, Protocol.TCP, port);
    }

    /**
     * The side that drops the connection first, or null when none does. After an egress drop the walk stops, so
     * whether the ingress would drop it too is for {@link #ingressLetsDeniedIn} to say.
     */
    static Side deniedBy(FirstPacket.Outcome outcome) {
        boolean egressLets = outcome.egress() == null || outcome.egress().verdict().equals("return");
        if (!egressLets) {
            return Side.EGRESS;
        }
        return outcome.ingress() != null && outcome.ingress().verdict().equals("drop") ? Side.INGRESS : null;
    }

    SpareProbe deniedBy(Side side) {
        return new SpareProbe(namespace, allowLabels, denyLabels, address, port, side);
    }

    private static Map<String, String> withProbeLabel(Pod pod) {
        Map<String, String> labels = new LinkedHashMap<>(pod.labels());
        labels.put(PROBE_LABEL.getKey(), PROBE_LABEL.getValue());
        return labels;
    }
}
