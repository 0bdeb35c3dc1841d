package io.nftpolicy.bench.dataplane;

import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * What kube-network-policies v0.8.0 sends to user space on one node, for a kernel without the nftables queue
 * statement. The release's own table holds sets {@code podips-v4}/{@code podips-v6} of the node's pods that some
 * NetworkPolicy selects ({@code getLocalPodsForNetworkPolicy} over every policy) and, on postrouting, after
 * {@code ct state established,related accept}, queues packets from or to those addresses. Here its transaction
 * fails as a whole (ENOENT on the queue expression), so this table stands in: the same sets, the same two lookups,
 * and a mark instead of the queue statement, which one xtables rule ({@code -m mark ... -j NFQUEUE}, added by
 * {@code PeerAgent} with {@code QueueScope.marked(MARK)}) turns into the release's queue 100. Its chain runs before
 * xtables' mangle postrouting (priority -150).
 *
 * <p>The sets are the keys of the node's ingress and egress verdict maps in nftpolicy's compiled ruleset: a pod is
 * there exactly when some policy selects it (a policy isolates what it selects, for its policy types), which is the
 * release's set. They are computed once, from the generated cluster: the probes of {@code bin/bench peer} are
 * between pods whose membership no step of the run changes (the server is selected throughout), so a set that
 * stood still while churn relabels other pods only differs for pods nobody probes.
 *
 * @param v4 the node's policy-selected IPv4 pod addresses
 * @param v6 likewise IPv6
 */
record PeerQueueSet(Set<IpAddress> v4, Set<IpAddress> v6) {
    static final String TABLE = "nftpolicy_bench_peer_queue";
    /** A bit no table of the lab sets otherwise. */
    static final int MARK = 0x10000000;

    PeerQueueSet {
        v4 = Set.copyOf(v4);
        v6 = Set.copyOf(v6);
    }

    /** The addresses the node's compiled ruleset dispatches to a pod chain, in either direction. */
    static PeerQueueSet of(Ruleset compiled) {
        return new PeerQueueSet(dispatched(compiled, IpFamily.IPV4), dispatched(compiled, IpFamily.IPV6));
    }

    private static Set<IpAddress> dispatched(Ruleset compiled, IpFamily family) {
        List<String> maps = List.of("ingress-" + family.suffix(), "egress-" + family.suffix());
        return compiled.maps().stream().filter(m -> maps.contains(m.name())).map(VerdictMap::elements)
                .flatMap(List::stream).map(MapElement::key).collect(Collectors.toSet());
    }

    /** The table, dormant: {@link #activation} wakes it. */
    String script() {
        return "table inet " + TABLE + " {\n"
                + "\tflags dormant;\n"
                + set("podips-v4", "ipv4_addr", v4)
                + set("podips-v6", "ipv6_addr", v6)
                + "\tchain postrouting {\n"
                + "\t\ttype filter hook postrouting priority -160; policy accept;\n"
                + "\t\tct state established,related accept\n"
                + "\t\tip saddr @podips-v4 meta mark set meta mark | " + hex() + "\n"
                + "\t\tip daddr @podips-v4 meta mark set meta mark | " + hex() + "\n"
                + "\t\tip6 saddr @podips-v6 meta mark set meta mark | " + hex() + "\n"
                + "\t\tip6 daddr @podips-v6 meta mark set meta mark | " + hex() + "\n"
                + "\t}\n"
                + "}\n";
    }

    static String hex() {
        return "0x" + Integer.toHexString(MARK);
    }

    private static String set(String name, String type, Set<IpAddress> addresses) {
        String elements = addresses.isEmpty() ? ""
                : "\t\telements = { " + new TreeSet<>(addresses).stream().map(IpAddress::toString)
                        .collect(Collectors.joining(", ")) + " }\n";
        return "\tset " + name + " {\n\t\ttype " + type + "\n" + elements + "\t}\n";
    }
}
