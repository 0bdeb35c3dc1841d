package io.nftpolicy.explain;

import com.google.common.collect.HashMultimap;
import com.google.common.collect.SetMultimap;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.stats.CounterReadings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The counters read from one node's table, named as the report names rules: (node, chain, position). The kernel
 * lists a chain's rules in the compiled ruleset's order, so a rule's reading is the one at its position; a chain
 * whose rule count differs (the table drifted, or holds another snapshot) has none, with a warning.
 *
 * <p>An isolation drop that looks up a counting drop set ({@code ip daddr @drops-ingress-v4 drop}) has no counter
 * of its own: the set's elements count per pod. Its count is the sum of the elements of the pods dispatched to its
 * chain, so the drop rule of a policy group shows what that group's isolation dropped; {@code nftpolicy stats}
 * gives the same per pod.
 */
public final class KernelRuleCounters implements RuleCounters {
    private static final Pattern SET_LOOKUP = Pattern.compile("@(\\S+)");

    private final String origin;
    private final String node;
    private final Map<String, List<Optional<Count>>> byChain;
    private final List<String> warnings;

    private KernelRuleCounters(String origin, String node, Map<String, List<Optional<Count>>> byChain,
                               List<String> warnings) {
        this.origin = origin;
        this.node = node;
        this.byChain = byChain;
        this.warnings = List.copyOf(warnings);
    }

    /**
     * @param origin   where and when the readings were taken, for the report's heading
     * @param ruleset  the ruleset applied to the node, as apply compiled it (with its counters)
     */
    public static KernelRuleCounters of(String origin, String node, Ruleset ruleset, CounterReadings readings) {
        Map<String, List<Optional<Count>>> byChain = new HashMap<>();
        List<String> warnings = new ArrayList<>();
        SetMultimap<String, IpAddress> dispatched = dispatchedTo(ruleset);
        for (Chain chain : ruleset.chains()) {
            List<Optional<io.nftpolicy.stats.Count>> kernel = readings.chains().get(chain.name());
            if (kernel == null || kernel.size() != chain.rules().size()) {
                warnings.add("chain " + chain.name() + (kernel == null ? " is not in the kernel's table"
                        : " has " + kernel.size() + " rules in the kernel, " + chain.rules().size()
                                + " in the compiled ruleset") + ": its counters are left out");
                continue;
            }
            List<Optional<Count>> counts = new ArrayList<>(kernel.size());
            for (int i = 0; i < kernel.size(); i++) {
                Optional<Count> own = kernel.get(i).map(c -> new Count(c.packets(), c.bytes()));
                counts.add(own.isPresent() ? own
                        : dropSetCount(chain.rules().get(i), dispatched.get(chain.name()), readings));
            }
            byChain.put(chain.name(), counts);
        }
        return new KernelRuleCounters(origin, node, byChain, warnings);
    }

    @Override
    public String origin() {
        return origin;
    }

    @Override
    public Optional<Count> count(String node, String chain, int position) {
        List<Optional<Count>> counts = this.node.equals(node) ? byChain.get(chain) : null;
        return counts == null || position < 1 || position > counts.size() ? Optional.empty() : counts.get(position - 1);
    }

    /** The chains whose counters could not be matched to the ruleset. */
    public List<String> warnings() {
        return warnings;
    }

    /** A rule looking up a counting set: the sum of the set's elements for the pods dispatched to its chain. */
    private static Optional<Count> dropSetCount(Rule rule, Set<IpAddress> pods, CounterReadings readings) {
        Matcher lookup = SET_LOOKUP.matcher(rule.statement());
        if (!lookup.find() || !readings.elements().containsKey(lookup.group(1))) {
            return Optional.empty();
        }
        long packets = 0;
        long bytes = 0;
        for (Map.Entry<IpAddress, io.nftpolicy.stats.Count> element : readings.elements().get(lookup.group(1)).entrySet()) {
            if (pods.contains(element.getKey())) {
                packets += element.getValue().packets();
                bytes += element.getValue().bytes();
            }
        }
        return Optional.of(new Count(packets, bytes));
    }

    /** Chain name to the pod addresses its verdict maps send to it, directly or through a chain that goes to it. */
    private static SetMultimap<String, IpAddress> dispatchedTo(Ruleset ruleset) {
        Map<String, Chain> chains = new HashMap<>();
        ruleset.chains().forEach(c -> chains.put(c.name(), c));
        SetMultimap<String, IpAddress> pods = HashMultimap.create();
        for (VerdictMap map : ruleset.maps()) {
            for (MapElement element : map.elements()) {
                pods.put(element.chain(), element.key());
                Chain chain = chains.get(element.chain());
                if (chain != null) {
                    io.nftpolicy.compile.RuleCounters.gotoTarget(chain)
                            .ifPresent(t -> pods.put(t, element.key()));
                }
            }
        }
        return pods;
    }
}
