package io.nftpolicy.bench.dataplane;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The same policies laid out the way iptables-era engines compile them (kube-router, the Romana-era figures): no
 * verdict-map dispatch, but in one base chain, for every local pod and every policy selecting it, a line
 * {@code ip daddr <pod> jump <policy chain>} (or {@code ip saddr} for egress), then {@code ip daddr <pod> drop};
 * each policy chain holds one rule per peer and port list. A new connection's first packet therefore walks every
 * line of every pod listed before its own.
 *
 * <p>Peers stay in named sets, as in ipset-based engines (kube-router, Calico's iptables mode): expanding them to
 * one rule per peer address would multiply the rule count by the pods per selector and make the comparison about
 * set lookups rather than about dispatch, which is the difference under test.
 *
 * <p>Policy chains come from the compiler itself, so the two layouts cannot disagree on semantics: the policies
 * are compiled in batches holding at most one policy per namespace. Policies only select pods of their own
 * namespace, so in such a batch every pod chain the compiler makes belongs to exactly one policy; its allow rules
 * are that policy's rules, and the dispatch maps say which local pods the policy selects.
 *
 * <p>An ingress allow accepts (ending the base chain, as the compiled layout does). An egress allow must not end it,
 * since the destination's ingress is still to be checked; as kube-router does, it sets a packet mark and returns,
 * and after the pod's policy lines a packet without the mark is dropped.
 *
 * @param ruleset the table, named {@link #TABLE}
 * @param ingress per local address isolated for ingress, its policy chains in evaluation order
 * @param egress  per local address isolated for egress, its policy chains in evaluation order
 */
public record LinearLayout(Ruleset ruleset, Map<IpAddress, List<String>> ingress, Map<IpAddress, List<String>> egress) {
    public static final String TABLE = "linear";
    static final String FORWARD_CHAIN = "linear-forward";
    static final String INPUT_CHAIN = "linear-input";
    /** The bit kube-router uses for "allowed by some policy". */
    static final String MARK = "0x00010000";

    public LinearLayout {
        ingress = java.util.Collections.unmodifiableMap(new TreeMap<>(ingress));
        egress = java.util.Collections.unmodifiableMap(new TreeMap<>(egress));
    }

    /** The linear layout of {@code snapshot}'s policies for the pods on {@code node}. */
    public static LinearLayout of(ClusterSnapshot snapshot, String node) {
        PolicyCompiler compiler = new PolicyCompiler();
        Map<String, NamedSet> sets = new TreeMap<>();
        Map<String, Chain> policyChains = new TreeMap<>();
        Map<IpAddress, List<String>> ingress = new TreeMap<>();
        Map<IpAddress, List<String>> egress = new TreeMap<>();
        List<Rule> structural = List.of();
        for (List<NetworkPolicy> batch : batches(snapshot.policies())) {
            Ruleset compiled = compiler.compile(
                    new ClusterSnapshot(snapshot.namespaces(), snapshot.pods(), batch), node).ruleset();
            compiled.sets().forEach(s -> sets.putIfAbsent(s.name(), s));
            Map<String, Boolean> egressChain = new TreeMap<>();
            for (VerdictMap map : compiled.maps()) {
                boolean isEgress = map.name().startsWith("egress");
                for (MapElement element : map.elements()) {
                    (isEgress ? egress : ingress).computeIfAbsent(element.key(), k -> new ArrayList<>())
                            .add(element.chain());
                    egressChain.put(element.chain(), isEgress);
                }
            }
            for (Chain chain : compiled.chains()) {
                if (chain.hook().isPresent()) {
                    if (chain.hook().get().hook().equals("forward")) {
                        structural = chain.rules().stream().filter(r -> !r.statement().contains(" vmap ")).toList();
                    }
                } else if (egressChain.containsKey(chain.name())) {
                    policyChains.put(chain.name(), policyChain(chain, egressChain.get(chain.name())));
                }
            }
        }
        List<Rule> egressLines = egressLines(egress);
        List<Rule> forward = new ArrayList<>(structural);
        forward.addAll(egressLines);
        forward.addAll(ingressLines(ingress));
        List<Rule> input = new ArrayList<>(structural);
        input.addAll(egressLines);
        List<Chain> chains = new ArrayList<>();
        chains.add(new Chain(FORWARD_CHAIN, Optional.of(new BaseHook("forward", 0)),
                "linear: per pod, a jump to each policy selecting it", forward));
        chains.add(new Chain(INPUT_CHAIN, Optional.of(new BaseHook("input", 0)),
                "linear: egress of local pods to this node", input));
        chains.addAll(policyChains.values());
        Ruleset ruleset = new Ruleset(Ruleset.FAMILY, TABLE, "the same policies, laid out linearly (benchmark)",
                List.copyOf(sets.values()), List.of(), chains);
        return new LinearLayout(ruleset, ingress, egress);
    }

    /**
     * Rules of the forward chain a new connection's first packet from {@code source} to {@code destination}
     * evaluates on this node, up to and including the destination's own lines: the structural rules, the egress
     * lines (all of them: the source's egress lines do not end the chain), and the ingress lines of every pod
     * listed before the destination. The rules inside the policy chains are not counted.
     */
    public int linesWalked(IpAddress destination) {
        int lines = ruleset.chains().get(0).rules().size() - ingressLineCount(ingress);
        for (Map.Entry<IpAddress, List<String>> entry : ingress.entrySet()) {
            lines += entry.getValue().size() + 1;
            if (entry.getKey().equals(destination)) {
                return lines;
            }
        }
        return lines;
    }

    /** Policies sorted as the compiler orders them, dealt so that a batch holds one policy per namespace. */
    static List<List<NetworkPolicy>> batches(List<NetworkPolicy> policies) {
        Map<String, List<NetworkPolicy>> byNamespace = new TreeMap<>();
        policies.stream().sorted(Comparator.comparing(NetworkPolicy::namespace).thenComparing(NetworkPolicy::name))
                .forEach(p -> byNamespace.computeIfAbsent(p.namespace(), n -> new ArrayList<>()).add(p));
        List<List<NetworkPolicy>> batches = new ArrayList<>();
        for (List<NetworkPolicy> inNamespace : byNamespace.values()) {
            for (int i = 0; i < inNamespace.size(); i++) {
                if (batches.size() == i) {
                    batches.add(new ArrayList<>());
                }
                batches.get(i).add(inNamespace.get(i));
            }
        }
        return batches;
    }

    /** The compiled pod chain of one policy, without its final drop; egress allows mark instead of returning. */
    private static Chain policyChain(Chain compiled, boolean egress) {
        List<Rule> rules = new ArrayList<>();
        for (Rule rule : compiled.rules()) {
            if (rule.statement().equals(EstablishedFlows.DROP) || rule.statement().equals(EstablishedFlows.RESET)) {
                continue;
            }
            String statement = rule.statement();
            if (egress && statement.endsWith(" return")) {
                statement = statement.substring(0, statement.length() - " return".length())
                        + " meta mark set meta mark or " + MARK + " return";
            } else if (egress && statement.equals("return")) {
                statement = "meta mark set meta mark or " + MARK + " return";
            }
            rules.add(new Rule(statement, rule.comment(), rule.sources()));
        }
        return new Chain(compiled.name(), Optional.empty(), compiled.comment(), rules);
    }

    private static List<Rule> egressLines(Map<IpAddress, List<String>> egress) {
        List<Rule> lines = new ArrayList<>();
        egress.forEach((address, chains) -> {
            String match = address.family().nftPayload() + " saddr " + address;
            chains.forEach(c -> lines.add(Rule.of(match + " jump " + c, "")));
            lines.add(Rule.of(match + " meta mark and " + MARK + " == 0 drop", "no egress policy allowed it"));
        });
        return lines;
    }

    private static List<Rule> ingressLines(Map<IpAddress, List<String>> ingress) {
        List<Rule> lines = new ArrayList<>();
        ingress.forEach((address, chains) -> {
            String match = address.family().nftPayload() + " daddr " + address;
            chains.forEach(c -> lines.add(Rule.of(match + " jump " + c, "")));
            lines.add(Rule.of(match + " drop", "no ingress policy allowed it"));
        });
        return lines;
    }

    private static int ingressLineCount(Map<IpAddress, List<String>> ingress) {
        return ingress.values().stream().mapToInt(c -> c.size() + 1).sum();
    }
}
