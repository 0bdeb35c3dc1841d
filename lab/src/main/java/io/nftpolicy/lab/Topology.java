package io.nftpolicy.lab;

import static com.google.common.net.InetAddresses.toAddrString;

import com.google.common.net.InetAddresses;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Reachability;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The plan of a lab, worked out before anything is created: which namespaces exist, which subnets sit on which node
 * bridge, which gateway each subnet gets, and the {@code ip -batch} scripts that build it.
 *
 * <p>Everything a caller can get wrong (two nodes claiming one subnet, an address inside the lab's own ranges) is
 * rejected here, so that a failed start usually fails before touching the kernel.
 *
 * <p>The wiring copies Flannel's vxlan backend, because that is what the product runs beside: per node a bridge
 * {@code cni0} holding one gateway per pod subnet, pods attached by veth pairs whose pod end is {@code eth0}, and a
 * VXLAN device {@code flannel.1} (VNI 1, port 4789, no learning) that reaches the other nodes' subnets through
 * {@code onlink} routes, permanent neighbour entries and static forwarding entries. Device names are Flannel's own,
 * not prefixed: every device lives inside one of this lab's namespaces, so names cannot collide with another lab,
 * and rules written for a real node ({@code iifname "cni0"}) mean the same here.
 */
final class Topology {
    /** Underlay between the node namespaces (their {@code eth0}), as a cloud VPC would be. */
    static final String UNDERLAY4 = "10.255.255.";
    static final String UNDERLAY6 = "fd00:ffff::";
    /**
     * Addresses of the {@code flannel.1} devices. Flannel uses each node's subnet network address instead; a range
     * of their own gives every node an address of both families even when it has no pod subnet of one of them.
     */
    static final String OVERLAY4 = "10.255.254.";
    static final String OVERLAY6 = "fd00:fffe::";
    static final String BRIDGE = "cni0";
    static final String VXLAN = "flannel.1";
    static final int MTU = 1450; // Flannel's: the underlay's 1500 minus the VXLAN header

    /** A pod subnet (IPv4 /24 or IPv6 /64) on one node's bridge. */
    record Subnet(IpFamily family, InetAddress network, InetAddress gateway) {
        int prefixLength() {
            return family == IpFamily.IPV4 ? 24 : 64;
        }

        String cidr() {
            return toAddrString(network) + "/" + prefixLength();
        }
    }

    record Node(String name, int index, String netns, List<Subnet> subnets) {
        String underlay(IpFamily family) {
            return family == IpFamily.IPV4 ? UNDERLAY4 + (index + 1) : UNDERLAY6 + Integer.toHexString(index + 1);
        }

        String overlay(IpFamily family) {
            return family == IpFamily.IPV4 ? OVERLAY4 + (index + 1) : OVERLAY6 + Integer.toHexString(index + 1);
        }

        /** Fixed rather than random so that the other nodes' neighbour and fdb entries can be written in advance. */
        String vxlanMac() {
            return String.format("0e:6e:70:00:%02x:%02x", (index + 1) >> 8, (index + 1) & 0xff);
        }
    }

    record Pod(LabPod spec, int index, String netns, Node node, Map<IpFamily, InetAddress> addresses,
               Map<IpFamily, Subnet> subnets) {
        String name() {
            return spec.name();
        }

        /** The node's end of the pod's veth pair. */
        String hostVeth() {
            return "veth" + index;
        }
    }

    private final String prefix;
    private final List<Node> nodes;
    private final List<Pod> pods;

    private Topology(String prefix, List<Node> nodes, List<Pod> pods) {
        this.prefix = prefix;
        this.nodes = List.copyOf(nodes);
        this.pods = List.copyOf(pods);
    }

    static Topology plan(String prefix, List<LabPod> specs) throws LabException {
        if (specs.isEmpty()) {
            throw new LabException("a lab needs at least one pod");
        }
        Set<String> nodeNames = new LinkedHashSet<>();
        Map<InetAddress, LabPod> owners = new HashMap<>();
        Map<LabPod, Map<IpFamily, InetAddress>> addressesOf = new HashMap<>();
        Set<String> names = new HashSet<>();
        for (LabPod spec : specs) {
            validateNames(spec, names);
            addressesOf.put(spec, parseAddresses(spec, owners));
            validateServes(spec);
            nodeNames.add(spec.node());
        }
        if (nodeNames.size() > 250) {
            throw new LabException("at most 250 nodes fit the lab's underlay, got " + nodeNames.size());
        }

        // Subnets: each pod address implies its /24 or /64 on the pod's node, and a subnet has one node.
        Map<InetAddress, String> subnetNode = new HashMap<>();
        Map<InetAddress, LabPod> subnetWitness = new HashMap<>();
        Map<InetAddress, List<InetAddress>> subnetMembers = new LinkedHashMap<>();
        for (LabPod spec : specs) {
            for (InetAddress address : addressesOf.get(spec).values()) {
                InetAddress network = network(address);
                String previous = subnetNode.putIfAbsent(network, spec.node());
                if (previous != null && !previous.equals(spec.node())) {
                    LabPod other = subnetWitness.get(network);
                    throw new LabException("subnet " + toAddrString(network) + "/" + prefixLength(network)
                            + " would be on two nodes: " + previous + " (pod " + other.name() + ") and "
                            + spec.node() + " (pod " + spec.name() + "); a pod subnet belongs to one node's bridge");
                }
                subnetWitness.putIfAbsent(network, spec);
                subnetMembers.computeIfAbsent(network, n -> new ArrayList<>()).add(address);
            }
        }
        Map<InetAddress, Subnet> subnets = new HashMap<>();
        for (Map.Entry<InetAddress, List<InetAddress>> subnet : subnetMembers.entrySet()) {
            InetAddress network = subnet.getKey();
            if (familyOf(network) == IpFamily.IPV4 && subnet.getValue().size() >= 254) {
                throw new LabException("subnet " + toAddrString(network)
                        + "/24 has no address left for its gateway");
            }
            subnets.put(network, new Subnet(familyOf(network), network,
                    gateway(network, new HashSet<>(subnet.getValue()))));
        }

        List<Node> nodes = new ArrayList<>();
        List<Pod> pods = new ArrayList<>();
        for (String nodeName : nodeNames) {
            List<Subnet> nodeSubnets = new ArrayList<>();
            subnetMembers.keySet().stream().filter(n -> subnetNode.get(n).equals(nodeName))
                    .forEach(n -> nodeSubnets.add(subnets.get(n)));
            nodes.add(new Node(nodeName, nodes.size(), prefix + "-n" + nodes.size(), nodeSubnets));
        }
        Map<String, Node> nodeByName = new HashMap<>();
        nodes.forEach(n -> nodeByName.put(n.name(), n));
        for (LabPod spec : specs) {
            Map<IpFamily, InetAddress> addresses = addressesOf.get(spec);
            Map<IpFamily, Subnet> podSubnets = new EnumMap<>(IpFamily.class);
            addresses.forEach((family, address) -> podSubnets.put(family, subnets.get(network(address))));
            pods.add(new Pod(spec, pods.size(), prefix + "-p" + pods.size(), nodeByName.get(spec.node()),
                    addresses, podSubnets));
        }
        return new Topology(prefix, nodes, pods);
    }

    String prefix() {
        return prefix;
    }

    List<Node> nodes() {
        return nodes;
    }

    List<Pod> pods() {
        return pods;
    }

    /** The namespace that joins the nodes' underlay links, or null when there is one node and so no underlay. */
    String switchNetns() {
        return nodes.size() > 1 ? prefix + "-u" : null;
    }

    /** Every namespace of the lab, in the order they are created. */
    List<String> namespaces() {
        List<String> all = new ArrayList<>();
        if (switchNetns() != null) {
            all.add(switchNetns());
        }
        nodes.forEach(n -> all.add(n.netns()));
        pods.forEach(p -> all.add(p.netns()));
        return all;
    }

    /** Run in the switch namespace: a bridge, and one veth per node whose other end is the node's {@code eth0}. */
    String switchBatch() {
        StringBuilder b = new StringBuilder();
        b.append("link set lo up\n");
        b.append("link add br0 type bridge mcast_snooping 0\n");
        for (Node node : nodes) {
            b.append("link add n").append(node.index()).append(" type veth peer name eth0 netns ")
                    .append(node.netns()).append('\n');
            b.append("link set n").append(node.index()).append(" master br0 up\n");
        }
        b.append("link set br0 up\n");
        return b.toString();
    }

    /** Run in a node namespace, after {@link #switchBatch()}: bridge, pod veths, underlay address, VXLAN. */
    String nodeBatch(Node node) {
        StringBuilder b = new StringBuilder();
        b.append("link set lo up\n");
        // Multicast snooping off: without an MLD querier it can starve IPv6 neighbour discovery between ports.
        b.append("link add ").append(BRIDGE).append(" mtu ").append(MTU)
                .append(" type bridge mcast_snooping 0\n");
        for (Subnet subnet : node.subnets()) {
            b.append("addr add ").append(toAddrString(subnet.gateway())).append('/').append(subnet.prefixLength())
                    .append(" dev ").append(BRIDGE).append(subnet.family() == IpFamily.IPV6 ? " nodad\n" : "\n");
        }
        for (Pod pod : pods) {
            if (pod.node() == node) {
                b.append("link add ").append(pod.hostVeth()).append(" mtu ").append(MTU)
                        .append(" type veth peer name eth0 mtu ").append(MTU).append(" netns ").append(pod.netns())
                        .append('\n');
                b.append("link set ").append(pod.hostVeth()).append(" master ").append(BRIDGE).append(" up\n");
            }
        }
        b.append("link set ").append(BRIDGE).append(" up\n");
        if (nodes.size() > 1) {
            b.append("addr add ").append(node.underlay(IpFamily.IPV4)).append("/24 dev eth0\n");
            b.append("addr add ").append(node.underlay(IpFamily.IPV6)).append("/64 dev eth0 nodad\n");
            b.append("link set eth0 up\n");
            b.append("link add ").append(VXLAN).append(" address ").append(node.vxlanMac())
                    .append(" type vxlan id 1 local ").append(node.underlay(IpFamily.IPV4))
                    .append(" dev eth0 dstport 4789 nolearning\n");
            b.append("addr add ").append(node.overlay(IpFamily.IPV4)).append("/24 dev ").append(VXLAN).append('\n');
            b.append("addr add ").append(node.overlay(IpFamily.IPV6)).append("/64 dev ").append(VXLAN)
                    .append(" nodad\n");
            b.append("link set ").append(VXLAN).append(" up\n");
            for (Node remote : nodes) {
                if (remote == node) {
                    continue;
                }
                for (IpFamily family : IpFamily.values()) {
                    b.append("neigh add ").append(remote.overlay(family)).append(" lladdr ")
                            .append(remote.vxlanMac()).append(" dev ").append(VXLAN).append(" nud permanent\n");
                }
                for (Subnet subnet : remote.subnets()) {
                    b.append("route add ").append(subnet.cidr()).append(" via ").append(remote.overlay(subnet.family()))
                            .append(" dev ").append(VXLAN).append(" onlink\n");
                }
            }
        }
        return b.toString();
    }

    /**
     * Run with {@code bridge -batch} in a node namespace after {@link #nodeBatch}: where to send frames for each
     * other node's VXLAN MAC, which is all that {@code nolearning} leaves the device to go by.
     */
    String nodeFdbBatch(Node node) {
        StringBuilder b = new StringBuilder();
        if (nodes.size() > 1) {
            for (Node remote : nodes) {
                if (remote != node) {
                    b.append("fdb append ").append(remote.vxlanMac()).append(" dev ").append(VXLAN).append(" dst ")
                            .append(remote.underlay(IpFamily.IPV4)).append(" self permanent\n");
                }
            }
        }
        return b.toString();
    }

    /** Run in a pod namespace, after the node created its {@code eth0}: addresses and default routes. */
    String podBatch(Pod pod) {
        StringBuilder b = new StringBuilder();
        b.append("link set lo up\n");
        pod.addresses().forEach((family, address) -> b.append("addr add ").append(toAddrString(address))
                .append('/').append(pod.subnets().get(family).prefixLength()).append(" dev eth0")
                .append(family == IpFamily.IPV6 ? " nodad\n" : "\n"));
        b.append("link set eth0 up\n");
        pod.subnets().forEach((family, subnet) -> b.append("route add ")
                .append(family == IpFamily.IPV4 ? "0.0.0.0/0" : "::/0").append(" via ")
                .append(toAddrString(subnet.gateway())).append(" dev eth0\n"));
        return b.toString();
    }

    /** Human-readable plan, for the sandbox command and for failure messages. */
    String describe() {
        StringBuilder b = new StringBuilder();
        for (Node node : nodes) {
            b.append("node ").append(node.name()).append(" (netns ").append(node.netns());
            if (nodes.size() > 1) {
                b.append(", underlay ").append(node.underlay(IpFamily.IPV4)).append(", ").append(VXLAN).append(' ')
                        .append(node.overlay(IpFamily.IPV4)).append(' ').append(node.overlay(IpFamily.IPV6));
            }
            b.append(")\n");
            for (Subnet subnet : node.subnets()) {
                b.append("  subnet ").append(subnet.cidr()).append(" gateway ")
                        .append(toAddrString(subnet.gateway())).append(" on ").append(BRIDGE).append('\n');
            }
            for (Pod pod : pods) {
                if (pod.node() == node) {
                    b.append("  pod ").append(pod.name()).append(" (netns ").append(pod.netns()).append(") ");
                    pod.addresses().values().forEach(a -> b.append(toAddrString(a)).append(' '));
                    b.append("serves ").append(pod.spec().serves()).append('\n');
                }
            }
        }
        return b.toString();
    }

    private static void validateNames(LabPod spec, Set<String> names) throws LabException {
        if (spec.name().isBlank() || spec.name().chars().anyMatch(Character::isWhitespace)) {
            throw new LabException("pod name must be non-empty without whitespace (it labels table rows): '"
                    + spec.name() + "'");
        }
        if (spec.name().startsWith("node/")) {
            throw new LabException("pod name " + spec.name() + " would be mistaken for a node source 'node/<name>'");
        }
        if (!names.add(spec.name())) {
            throw new LabException("two pods are named " + spec.name());
        }
        if (spec.node().isBlank()) {
            throw new LabException("pod " + spec.name() + ": node name is blank");
        }
    }

    private static Map<IpFamily, InetAddress> parseAddresses(LabPod spec, Map<InetAddress, LabPod> owners)
            throws LabException {
        Map<IpFamily, InetAddress> addresses = new EnumMap<>(IpFamily.class);
        if (spec.addresses().isEmpty() || spec.addresses().size() > 2) {
            throw new LabException("pod " + spec.name() + " needs one IPv4 and/or one IPv6 address, got "
                    + spec.addresses());
        }
        for (String literal : spec.addresses()) {
            InetAddress address = parseLiteral(spec, literal);
            IpFamily family = familyOf(address);
            if (addresses.put(family, address) != null) {
                throw new LabException("pod " + spec.name() + " has two " + Reachability.familyLabel(family)
                        + " addresses " + spec.addresses() + "; a pod has at most one per family");
            }
            String unusable = unusable(address);
            if (unusable != null) {
                throw new LabException("pod " + spec.name() + ": address " + literal + " " + unusable);
            }
            LabPod owner = owners.putIfAbsent(address, spec);
            if (owner != null) {
                throw new LabException("pods " + owner.name() + " and " + spec.name() + " both have address "
                        + toAddrString(address));
            }
        }
        return addresses;
    }

    private static void validateServes(LabPod spec) throws LabException {
        if (new HashSet<>(spec.serves()).size() != spec.serves().size()) {
            throw new LabException("pod " + spec.name() + " lists an endpoint twice: " + spec.serves());
        }
    }

    /** Parses only literals (Guava never asks a resolver); a zone ({@code %eth0}) is no pod's address. */
    private static InetAddress parseLiteral(LabPod spec, String literal) throws LabException {
        String s = literal == null ? "" : literal.strip();
        if (s.indexOf('%') < 0 && InetAddresses.isInetAddress(s)) {
            return InetAddresses.forString(s);
        }
        throw new LabException("pod " + spec.name() + ": '" + literal + "' is not an IPv4 or IPv6 address literal");
    }

    /** Why a pod cannot have this address, or null when it can. */
    private static String unusable(InetAddress address) {
        byte[] b = address.getAddress();
        if (address.isLoopbackAddress() || address.isAnyLocalAddress() || address.isMulticastAddress()
                || address.isLinkLocalAddress()) {
            return "is loopback, unspecified, multicast or link-local";
        }
        if (address instanceof Inet4Address) {
            if ((b[0] & 0xff) == 10 && (b[1] & 0xff) == 255 && ((b[2] & 0xff) == 254 || (b[2] & 0xff) == 255)) {
                return "is in 10.255.254.0/23, which the lab reserves for its nodes' underlay and " + VXLAN;
            }
            if ((b[0] & 0xff) == 0 || (b[0] & 0xff) >= 240) {
                return "is not a unicast address";
            }
            if (b[3] == 0 || (b[3] & 0xff) == 255) {
                return "is the network or broadcast address of its /24";
            }
        } else {
            if ((b[0] & 0xff) == 0xfd && b[1] == 0 && b[2] == (byte) 0xff
                    && (b[3] == (byte) 0xff || b[3] == (byte) 0xfe) && b[4] == 0 && b[5] == 0 && b[6] == 0
                    && b[7] == 0) {
                return "is in fd00:fffe::/64 or fd00:ffff::/64, which the lab reserves for its nodes";
            }
            if (Arrays.equals(b, 8, 16, new byte[8], 0, 8)) {
                return "is the subnet-router anycast address of its /64";
            }
        }
        return null;
    }

    static IpFamily familyOf(InetAddress address) {
        return address instanceof Inet6Address ? IpFamily.IPV6 : IpFamily.IPV4;
    }

    private static int prefixLength(InetAddress address) {
        return familyOf(address) == IpFamily.IPV4 ? 24 : 64;
    }

    private static InetAddress network(InetAddress address) {
        byte[] b = address.getAddress();
        Arrays.fill(b, prefixLength(address) / 8, b.length, (byte) 0);
        return byAddress(b);
    }

    /** {@code .1} (or {@code ::1}) unless a pod holds it, else the highest address no pod holds. */
    private static InetAddress gateway(InetAddress network, Set<InetAddress> taken) {
        byte[] b = network.getAddress();
        b[b.length - 1] = 1;
        InetAddress first = byAddress(b);
        if (!taken.contains(first)) {
            return first;
        }
        byte[] candidate = network.getAddress();
        int hostBytes = b.length - prefixLength(network) / 8;
        Arrays.fill(candidate, candidate.length - hostBytes, candidate.length, (byte) 0xff);
        if (familyOf(network) == IpFamily.IPV4) {
            candidate[3] = (byte) 254; // .255 is the broadcast address
        }
        while (taken.contains(byAddress(candidate))) {
            candidate[candidate.length - 1]--; // plan() made sure a free address exists
        }
        return byAddress(candidate);
    }

    private static InetAddress byAddress(byte[] b) {
        try {
            return InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e); // only for a wrong length, which cannot happen here
        }
    }
}
