package io.nftpolicy.enforcement;

import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.reachability.Endpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The cluster of the upstream network policy e2e suite (test/e2e/network/netpol), as a snapshot for the compiler
 * and as pods for the lab: namespaces x, y, z labelled ns=&lt;name&gt;, pods a, b, c in each labelled
 * pod=&lt;name&gt;, spread over two Flannel-style nodes so that same-node (bridged) and cross-node (VXLAN) pairs
 * both occur:
 *
 * <pre>
 * node-1: x/a 10.244.1.2  x/b 10.244.1.3  y/a 10.244.1.4  y/b 10.244.1.5  z/a 10.244.1.6
 * node-2: x/c 10.244.2.2  y/c 10.244.2.3  z/b 10.244.2.4  z/c 10.244.2.5
 * </pre>
 *
 * Container ports, as upstream: serve-80-tcp, serve-80-udp, serve-81-tcp, serve-81-udp, serve-80-sctp and
 * serve-81-sctp (compiled, never probed: no SCTP in this kernel), plus serve-82-tcp, so that a range 80-81 has a
 * served port just outside it. The lab pods serve TCP 80, 81, 82 and UDP 80, 81.
 *
 * @param namespaces the snapshot's namespaces (the compiler adds kubernetes.io/metadata.name)
 * @param pods       the snapshot's pods, in the order of {@code labPods}
 * @param labPods    the same pods as the lab builds them
 */
record UpstreamModel(List<Namespace> namespaces, List<Pod> pods, List<LabPod> labPods) {
    static final String NODE1 = "node-1";
    static final String NODE2 = "node-2";
    static final List<String> NAMESPACES = List.of("x", "y", "z");

    static final List<Endpoint> SERVED = List.of(Endpoint.tcp(80), Endpoint.tcp(81), Endpoint.tcp(82),
            Endpoint.udp(80), Endpoint.udp(81));

    static final List<ContainerPort> UPSTREAM_PORTS = List.of(
            ContainerPort.named("serve-80-tcp", 80, Protocol.TCP),
            ContainerPort.named("serve-80-udp", 80, Protocol.UDP),
            ContainerPort.named("serve-81-tcp", 81, Protocol.TCP),
            ContainerPort.named("serve-81-udp", 81, Protocol.UDP),
            ContainerPort.named("serve-80-sctp", 80, Protocol.SCTP),
            ContainerPort.named("serve-81-sctp", 81, Protocol.SCTP),
            ContainerPort.named("serve-82-tcp", 82, Protocol.TCP));

    /** Where each pod runs and its IPv4 host part (10.244.&lt;node&gt;.&lt;host&gt;). */
    private static final List<Placement> PLACEMENTS = List.of(
            new Placement("x/a", 1, 2), new Placement("x/b", 1, 3), new Placement("x/c", 2, 2),
            new Placement("y/a", 1, 4), new Placement("y/b", 1, 5), new Placement("y/c", 2, 3),
            new Placement("z/a", 1, 6), new Placement("z/b", 2, 4), new Placement("z/c", 2, 5));

    private record Placement(String ref, int node, int host) {}

    /** The nine pods, IPv4 only, with the upstream container ports. */
    static UpstreamModel standard() {
        return build(p -> UPSTREAM_PORTS, false);
    }

    /** The nine pods, each also with fd00:10:244:&lt;node&gt;::&lt;host&gt;. */
    static UpstreamModel dualStack() {
        return build(p -> UPSTREAM_PORTS, true);
    }

    /** The nine pods, IPv4 only, with container ports chosen per pod ({@code namespace/name}). */
    static UpstreamModel withPorts(Function<String, List<ContainerPort>> ports) {
        return build(ports, false);
    }

    private static UpstreamModel build(Function<String, List<ContainerPort>> ports, boolean dualStack) {
        List<Namespace> namespaces = new ArrayList<>();
        for (String ns : NAMESPACES) {
            namespaces.add(new Namespace(ns, Map.of("ns", ns)));
        }
        List<Pod> pods = new ArrayList<>();
        List<LabPod> labPods = new ArrayList<>();
        for (Placement p : PLACEMENTS) {
            String[] ref = p.ref().split("/");
            String node = "node-" + p.node();
            List<String> ips = new ArrayList<>();
            ips.add("10.244." + p.node() + "." + p.host());
            if (dualStack) {
                ips.add("fd00:10:244:" + p.node() + "::" + p.host());
            }
            pods.add(new Pod(ref[0], ref[1], Map.of("pod", ref[1]), node, false, PodPhase.RUNNING, false, ips,
                    ports.apply(p.ref())));
            labPods.add(new LabPod(p.ref(), node, ips, SERVED));
        }
        return new UpstreamModel(List.copyOf(namespaces), List.copyOf(pods), List.copyOf(labPods));
    }
}
