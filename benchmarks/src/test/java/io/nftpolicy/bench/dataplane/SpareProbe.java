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
 * server's policies let it in (and its own egress lets it out); with {@link #denyLabels} the server's ingress drops
 * it while its egress still lets it out, so that a policy letting it into the server opens the path.
 *
 * @param namespace   the namespace it is created in
 * @param allowLabels labels of a pod of that namespace the policies allow to the server, plus {@link #PROBE_LABEL}
 * @param denyLabels  labels of one the server's ingress denies, plus {@link #PROBE_LABEL}
 * @param address     its IPv4 address
 * @param port        the server's TCP port probed
 */
record SpareProbe(String namespace, Map<String, String> allowLabels, Map<String, String> denyLabels, String address,
                  int port) {
    /** A label no generated selector names, which the "policy create" event's policy selects the spare by. */
    static final Map.Entry<String, String> PROBE_LABEL = Map.entry("nftpolicy.io/bench-probe", "spare");
    /** Inside the generator's 10.64.0.0/10 but in no generated node's range (two nodes use 10.64.0.0/17). */
    static final String ADDRESS = "10.120.0.10";

    SpareProbe {
        allowLabels = Map.copyOf(allowLabels);
        denyLabels = Map.copyOf(denyLabels);
    }

    /**
     * Chooses, in the namespaces of the server's node (the same-node allowed client's first), a pod the policies
     * allow to the server and one its ingress denies, and checks each choice by compiling the cluster with the
     * spare in it.
     */
    static SpareProbe choose(ClusterSnapshot snapshot, ProbePlan plan, Ruleset serverNode) {
        Pod server = plan.server();
        IpAddress serverAddress = IpAddress.parse(server.ips().get(0));
        int port = plan.allowed(ProbePlan.Placement.SAME_NODE).port();
        FirstPacket walk = new FirstPacket(serverNode);
        Set<String> namespaces = new LinkedHashSet<>();
        namespaces.add(plan.allowed(ProbePlan.Placement.SAME_NODE).client().namespace());
        snapshot.pods().stream().filter(p -> p.nodeName().equals(ProbePlan.SERVER_NODE))
                .forEach(p -> namespaces.add(p.namespace()));
        for (String namespace : namespaces) {
            Pod allowed = null;
            Pod denied = null;
            for (Pod pod : snapshot.pods()) {
                if (!pod.namespace().equals(namespace) || !pod.nodeName().equals(ProbePlan.SERVER_NODE)
                        || pod == server || pod.ips().isEmpty()) {
                    continue;
                }
                IpAddress address = IpAddress.parse(pod.ips().get(0));
                if (address.family() != IpFamily.IPV4) {
                    continue;
                }
                FirstPacket.Outcome outcome = walk.walk(address, serverAddress, Protocol.TCP, port);
                if (allowed == null && outcome.allowed()) {
                    allowed = pod;
                } else if (denied == null && ingressAloneDenies(outcome)) {
                    denied = pod;
                }
            }
            if (allowed == null || denied == null) {
                continue;
            }
            SpareProbe spare = new SpareProbe(namespace, withProbeLabel(allowed), withProbeLabel(denied), ADDRESS,
                    port);
            if (spare.outcome(snapshot, serverAddress, true).allowed()
                    && ingressAloneDenies(spare.outcome(snapshot, serverAddress, false))) {
                return spare;
            }
        }
        throw new IllegalStateException("no namespace on " + ProbePlan.SERVER_NODE + " has both a pod the policies let "
                + "into " + server.ref() + " and one only its ingress keeps out");
    }

    /** The spare as a pod of the cluster, with one of its label sets. */
    Pod pod(String name, boolean allowed) {
        return new Pod(namespace, name, allowed ? allowLabels : denyLabels, ProbePlan.SERVER_NODE, false,
                PodPhase.RUNNING, false, List.of(address), List.of());
    }

    private FirstPacket.Outcome outcome(ClusterSnapshot snapshot, IpAddress server, boolean allowed) {
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        pods.add(pod("bench-spare", allowed));
        Ruleset compiled = new EstablishedFlows().apply(new PolicyCompiler().compile(new ClusterSnapshot(
                snapshot.namespaces(), pods, snapshot.policies()), ProbePlan.SERVER_NODE).ruleset());
        return new FirstPacket(compiled).walk(IpAddress.parse(address), server, Protocol.TCP, port);
    }

    private static boolean ingressAloneDenies(FirstPacket.Outcome outcome) {
        return (outcome.egress() == null || outcome.egress().verdict().equals("return"))
                && outcome.ingress() != null && outcome.ingress().verdict().equals("drop");
    }

    private static Map<String, String> withProbeLabel(Pod pod) {
        Map<String, String> labels = new LinkedHashMap<>(pod.labels());
        labels.put(PROBE_LABEL.getKey(), PROBE_LABEL.getValue());
        return labels;
    }
}
