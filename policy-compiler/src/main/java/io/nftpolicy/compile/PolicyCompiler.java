package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Source;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Compiles a cluster snapshot into the ruleset one node enforces. Stateless and thread-safe.
 *
 * <p>Only this node's pods get chains; every pod of the cluster can be a peer. Pods are grouped per direction by
 * what they share (the policies selecting them, and for ingress how their named ports resolve), and each group
 * gets one chain: a rule per policy peer over shared peer sets ({@link GroupRules}), or, when its policies name
 * too many peers for that, merged sets ({@link Allowances}). See {@link RulesetAssembler} for the table's shape.
 */
public final class PolicyCompiler {

    public Compilation compile(ClusterSnapshot snapshot, String nodeName) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        ClusterIndex index = new ClusterIndex(snapshot, diagnostics);

        List<NetworkPolicy> ordered = new ArrayList<>(snapshot.policies());
        ordered.sort(Comparator.comparing(NetworkPolicy::namespace).thenComparing(NetworkPolicy::name));
        Map<String, List<ValidPolicy>> policiesByNamespace = new TreeMap<>();
        for (NetworkPolicy policy : ordered) {
            ValidPolicy valid = PolicyValidator.validate(policy, diagnostics);
            policiesByNamespace.computeIfAbsent(policy.namespace(), n -> new ArrayList<>()).add(valid);
        }

        PeerSets peerSets = new PeerSets();
        RulesetAssembler assembler = new RulesetAssembler(peerSets);
        PeerResolver peers = new PeerResolver(index);
        GroupRules rulesPerPeer = new GroupRules(peerSets, peers, index, index.families());
        List<ClusterIndex.Member> local = index.localMembers(nodeName);
        for (PolicyType direction : PolicyType.values()) {
            for (PodGroup group : group(direction, local, policiesByNamespace)) {
                var rules = rulesPerPeer.rules(group);
                if (rules.isPresent()) {
                    assembler.add(group, rules.get());
                } else {
                    assembler.add(group, allowances(group, peers, index));
                }
            }
        }
        return new Compilation(assembler.build(), diagnostics);
    }

    private static List<PodGroup> group(PolicyType direction, List<ClusterIndex.Member> local,
                                        Map<String, List<ValidPolicy>> policiesByNamespace) {
        Map<String, PodGroup> groups = new TreeMap<>();
        for (ClusterIndex.Member pod : local) {
            List<ValidPolicy> selecting = new ArrayList<>();
            for (ValidPolicy p : policiesByNamespace.getOrDefault(pod.pod().namespace(), List.of())) {
                if (p.directions().contains(direction) && p.podSelector().matches(pod.labels())) {
                    selecting.add(p);
                }
            }
            if (selecting.isEmpty()) {
                continue;
            }
            StringBuilder key = new StringBuilder();
            selecting.forEach(p -> key.append(p.ref()).append(p.valid() ? "" : "!invalid").append(','));
            if (direction == PolicyType.INGRESS) {
                key.append('|').append(namedPortResolution(pod, selecting));
            }
            groups.computeIfAbsent(key.toString(), k -> new PodGroup(direction, k, selecting)).members.add(pod);
        }
        return new ArrayList<>(groups.values());
    }

    /** How the named ports the policies use resolve on this pod, e.g. {@code http/TCP=8080;}. */
    private static String namedPortResolution(ClusterIndex.Member pod, List<ValidPolicy> policies) {
        TreeSet<String> resolved = new TreeSet<>();
        for (ValidPolicy p : policies) {
            for (AllowRule rule : p.rules(PolicyType.INGRESS)) {
                for (AllowedPort port : rule.ports()) {
                    if (port instanceof AllowedPort.Named named) {
                        StringBuilder entry = new StringBuilder(named.name() + "/" + named.protocol() + "=");
                        resolve(pod, named).forEach(n -> entry.append(n).append(' '));
                        resolved.add(entry.toString());
                    }
                }
            }
        }
        return String.join(";", resolved);
    }

    /** The numbers a named port has on a destination pod: name and protocol must both match. */
    static List<Integer> resolve(ClusterIndex.Member pod, AllowedPort.Named named) {
        TreeSet<Integer> numbers = new TreeSet<>();
        for (ContainerPort cp : pod.ports()) {
            if (cp.name().equals(named.name()) && cp.protocol() == named.protocol()) {
                numbers.add(cp.port());
            }
        }
        return new ArrayList<>(numbers);
    }

    private static Allowances allowances(PodGroup group, PeerResolver resolver, ClusterIndex index) {
        Allowances allowances = new Allowances();
        PolicyType direction = group.direction;
        for (ValidPolicy policy : group.policies) {
            for (AllowRule rule : policy.rules(direction)) {
                if (rule.peers().isEmpty()) {
                    List<IpRange> everyone = List.of(IpRange.all(IpFamily.IPV4), IpRange.all(IpFamily.IPV6));
                    allow(allowances, group, rule, everyone, index.members(),
                            new Source(policy.ref(), direction, rule.index(), -1));
                    continue;
                }
                for (int i = 0; i < rule.peers().size(); i++) {
                    Source source = new Source(policy.ref(), direction, rule.index(), i);
                    AllowedPeer peer = rule.peers().get(i);
                    if (peer instanceof AllowedPeer.Block block) {
                        allow(allowances, group, rule, block.ranges(), List.of(), source);
                    } else {
                        List<ClusterIndex.Member> pods = resolver.pods((AllowedPeer.Pods) peer);
                        allow(allowances, group, rule, addressesOf(pods), pods, source);
                    }
                }
            }
        }
        return allowances;
    }

    /**
     * Adds one peer of one rule.
     *
     * @param peerPods the pods the peer covers, where egress named ports resolve; ipBlocks have none, so a named
     *                 port never matches an ipBlock destination
     */
    private static void allow(Allowances allowances, PodGroup group, AllowRule rule, List<IpRange> peerRanges,
                              List<ClusterIndex.Member> peerPods, Source source) {
        if (rule.ports().isEmpty()) {
            allowances.allowAnyPort(peerRanges, source);
            return;
        }
        for (AllowedPort port : rule.ports()) {
            if (port instanceof AllowedPort.Range range) {
                allowances.allowPorts(peerRanges, range.protocol(), range.first(), range.last(), source);
            } else if (group.direction == PolicyType.INGRESS) {
                for (int number : resolve(group.representative(), (AllowedPort.Named) port)) {
                    allowances.allowPorts(peerRanges, port.protocol(), number, number, source);
                }
            } else {
                for (ClusterIndex.Member destination : peerPods) {
                    for (int number : resolve(destination, (AllowedPort.Named) port)) {
                        allowances.allowPorts(addressesOf(List.of(destination)), port.protocol(), number, number, source);
                    }
                }
            }
        }
    }

    private static List<IpRange> addressesOf(List<ClusterIndex.Member> pods) {
        List<IpRange> ranges = new ArrayList<>();
        for (ClusterIndex.Member m : pods) {
            m.addresses().forEach(a -> ranges.add(IpRange.single(a)));
        }
        return ranges;
    }
}
