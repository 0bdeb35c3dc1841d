package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a logged drop or accept ({@link DropLogs}) means, read from the compiled model it was logged under: the log
 * prefix names a group chain, whose isolation drop names the direction and the policies that isolate its pods (and,
 * for an accept, one of its rules, which names the policy rules and peers it stands for); the packet's addresses
 * name the pods. Immutable.
 */
public final class DropAttribution {
    private static final Pattern ISOLATED = Pattern.compile(DropLogs.ISOLATED_COMMENT + "(ingress|egress) by (.+)");

    /**
     * @param chain     the group chain that dropped the packet
     * @param direction the direction its pods are isolated in
     * @param policies  the policies that isolate them (namespace/name; an invalid one says so)
     */
    public record Isolation(String chain, PolicyType direction, List<String> policies) {
        public Isolation {
            policies = List.copyOf(policies);
        }
    }

    /**
     * @param chain     the group chain whose rule accepted the packet
     * @param direction the direction of that chain
     * @param rules     the policy rules and peers the accepting rule stands for ({@code dev/db ingress[0].from[1]})
     */
    public record Allowance(String chain, PolicyType direction, List<String> rules) {
        public Allowance {
            rules = List.copyOf(rules);
        }
    }

    private final Map<String, Isolation> byId;
    private final Map<String, Chain> chains;
    private final Map<IpAddress, String> pods;

    private DropAttribution(Map<String, Isolation> byId, Map<String, Chain> chains, Map<IpAddress, String> pods) {
        this.byId = Map.copyOf(byId);
        this.chains = Map.copyOf(chains);
        this.pods = Map.copyOf(pods);
    }

    public static DropAttribution of(Ruleset ruleset, ClusterSnapshot snapshot) {
        Map<String, Isolation> byId = new HashMap<>();
        Map<String, Chain> chains = new HashMap<>();
        for (Chain chain : ruleset.chains()) {
            Optional<String> id = DropLogs.id(chain.name());
            if (id.isEmpty()) {
                continue;
            }
            chains.put(id.get(), chain);
            for (Rule rule : chain.rules()) {
                Matcher m = ISOLATED.matcher(rule.comment());
                if (m.matches()) {
                    PolicyType direction = m.group(1).equals("ingress") ? PolicyType.INGRESS : PolicyType.EGRESS;
                    byId.put(id.get(), new Isolation(chain.name(), direction, List.of(m.group(2).split(", "))));
                }
            }
        }
        Map<IpAddress, String> pods = new HashMap<>();
        for (Pod pod : snapshot.pods()) {
            if (pod.hostNetwork()) {
                continue; // the node's address: no pod's own
            }
            boolean live = !pod.terminating() && pod.phase() != PodPhase.SUCCEEDED && pod.phase() != PodPhase.FAILED;
            for (String ip : pod.ips()) {
                try {
                    IpAddress address = IpAddress.parse(ip);
                    if (live || !pods.containsKey(address)) {
                        pods.put(address, pod.ref());
                    }
                } catch (IllegalArgumentException e) {
                    // an invalid address: the compiler reported it, and no packet carries it
                }
            }
        }
        return new DropAttribution(byId, chains, pods);
    }

    /** The isolation a log prefix stands for; empty for a prefix that is not nftpolicy's or a chain not known. */
    public Optional<Isolation> isolation(String prefix) {
        if (!prefix.startsWith(DropLogs.PREFIX)) {
            return Optional.empty();
        }
        return Optional.ofNullable(byId.get(prefix.substring(DropLogs.PREFIX.length()).trim()));
    }

    /**
     * What an accept log prefix ({@link DropLogs#acceptPrefix}) stands for; empty for another prefix or a chain or
     * rule not known.
     */
    public Optional<Allowance> allowance(String prefix) {
        if (!prefix.startsWith(DropLogs.ACCEPT_PREFIX)) {
            return Optional.empty();
        }
        String[] idAndIndex = prefix.substring(DropLogs.ACCEPT_PREFIX.length()).trim().split(" ");
        Chain chain = chains.get(idAndIndex[0]);
        if (chain == null || idAndIndex.length != 2 || !idAndIndex[1].matches("\\d{1,4}")) {
            return Optional.empty();
        }
        int index = Integer.parseInt(idAndIndex[1]);
        if (index >= chain.rules().size() || chain.rules().get(index).sources().isEmpty()) {
            return Optional.empty();
        }
        PolicyType direction = idAndIndex[0].startsWith("ing-") ? PolicyType.INGRESS : PolicyType.EGRESS;
        return Optional.of(new Allowance(chain.name(), direction,
                chain.rules().get(index).sources().stream().map(Object::toString).toList()));
    }

    /** The pod (namespace/name) that has this address; empty for an address no pod has. */
    public Optional<String> pod(IpAddress address) {
        return Optional.ofNullable(pods.get(address));
    }
}
