package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drop logs: a post-step over a compiled ruleset (after {@link FailClosed}, before or after {@link EstablishedFlows})
 * that sends the first packet of each connection attempt a group chain drops to an NFLOG group, for the pods of
 * namespaces annotated {@value Namespace#LOG_DROPS_ANNOTATION}{@code : "true"}, or of every namespace.
 *
 * <p>A logged group chain reads, before its isolation drop:
 * <pre>
 * ct state new jump log-ing-3152e6ed
 * ct mark set ct mark | 0xfffff000 drop comment "isolated for ingress by dev/db"     unchanged
 *
 * chain log-ing-3152e6ed
 *   limit rate 10/second burst 5 packets log prefix "nftpolicy drop ing-3152e6ed" group 100 return
 *   counter                                                   over the rate limit: not logged, counted
 * </pre>
 * So the cost is on the drop path alone: allowed packets end in an allow rule before it, and pods of namespaces that
 * are not logged have no such rule at all (the pods of one group chain are always of one namespace: the policies
 * that select them are). A chain logs at most its rate, in the kernel, whatever is dropped; the counter says how
 * many were not logged. The prefix names the chain by its short id ({@link #id}); a reader maps it back, with the
 * packet's addresses, to the pod and the policies that isolate it ({@link DropAttribution}).
 *
 * <p>Replies and flows judged again ({@link EstablishedFlows}) are not logged: they are not connection attempts.
 * Drops decided by a ClusterNetworkPolicy Deny (chain {@code cnp-deny}) and by fail-closed mode are not logged.
 *
 * <p>Not thread-safe: one instance per node, called with successive compilations; group chains that do not change
 * come back as the same instances, and so do their log chains.
 */
public final class DropLogs {
    /** What every log prefix starts with; the chain's id follows. */
    public static final String PREFIX = "nftpolicy drop ";
    public static final String LOG_CHAIN_PREFIX = "log-";
    static final String ISOLATED_COMMENT = "isolated for ";
    private static final Pattern GROUP_CHAIN = Pattern.compile("((?:ing|egr)-[0-9a-f]{8})-.*");
    private static final Pattern TARGET = Pattern.compile("(?:goto|jump) (\\S+)$");

    /**
     * @param everywhere    log the drops of every namespace's pods, annotated or not
     * @param group         the NFLOG group (0..65535)
     * @param ratePerSecond packets logged per second and group chain, at most
     * @param burst         packets logged at once before the rate applies
     */
    public record Options(boolean everywhere, int group, int ratePerSecond, int burst) {
        public static final int DEFAULT_GROUP = 100;

        public Options {
            if (group < 0 || group > 0xffff) {
                throw new IllegalArgumentException("NFLOG group " + group + " is outside 0..65535");
            }
            if (ratePerSecond < 1 || burst < 1) {
                throw new IllegalArgumentException("the log rate and burst must be at least 1, got rate "
                        + ratePerSecond + "/second, burst " + burst);
            }
        }

        /** Per annotated namespace (or everywhere), group {@value #DEFAULT_GROUP}, 10 per second, burst 5. */
        public static Options defaults(boolean everywhere) {
            return new Options(everywhere, DEFAULT_GROUP, 10, 5);
        }
    }

    private final Options options;
    private Map<Chain, Chain> previousLogged = new IdentityHashMap<>();
    private Map<String, Chain> previousLogChains = new HashMap<>();

    public DropLogs(Options options) {
        this.options = options;
    }

    /** The ruleset with the drops of the chosen namespaces' pods logged; the same instance when none is. */
    public Ruleset apply(Ruleset ruleset, ClusterSnapshot snapshot) {
        Set<String> logged = loggedChains(ruleset, snapshot);
        Map<Chain, Chain> reused = new IdentityHashMap<>();
        Map<String, Chain> logChains = new HashMap<>();
        List<Chain> chains = new ArrayList<>(ruleset.chains().size() + logged.size());
        for (Chain chain : ruleset.chains()) {
            Optional<String> id = id(chain.name());
            int drop = id.isPresent() && logged.contains(chain.name()) ? dropRule(chain) : -1;
            if (drop < 0) {
                chains.add(chain);
                continue;
            }
            Chain rewritten = previousLogged.get(chain);
            if (rewritten == null) {
                List<Rule> rules = new ArrayList<>(chain.rules());
                rules.add(drop, Rule.of("ct state new jump " + LOG_CHAIN_PREFIX + id.get(),
                        "a connection attempt: logged, then dropped"));
                rewritten = new Chain(chain.name(), chain.hook(), chain.comment(), rules);
            }
            reused.put(chain, rewritten);
            chains.add(rewritten);
            Chain logChain = previousLogChains.get(id.get());
            logChains.put(id.get(), logChain != null ? logChain : logChain(id.get(), chain.name()));
        }
        previousLogged = reused;
        previousLogChains = logChains;
        if (logChains.isEmpty()) {
            return ruleset;
        }
        List<Chain> added = new ArrayList<>(logChains.values());
        added.sort(Comparator.comparing(Chain::name));
        chains.addAll(added);
        return new Ruleset(ruleset.family(), ruleset.table(), ruleset.comment(), ruleset.sets(), ruleset.maps(), chains);
    }

    /** The short id of a group chain ({@code ing-3152e6ed}), which log prefixes carry; empty for other chains. */
    public static Optional<String> id(String chainName) {
        Matcher m = GROUP_CHAIN.matcher(chainName);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The log prefix of a group chain's drops. */
    public static String prefix(String id) {
        return PREFIX + id;
    }

    private Chain logChain(String id, String groupChain) {
        String limit = "limit rate " + options.ratePerSecond() + "/second burst " + options.burst() + " packets";
        return new Chain(LOG_CHAIN_PREFIX + id, Optional.empty(), "drop log of " + groupChain, List.of(
                Rule.of(limit + " log prefix \"" + prefix(id) + "\" group " + options.group() + " return",
                        "to NFLOG group " + options.group() + ", at most the rate"),
                Rule.of("counter", "over the rate limit: not logged")));
    }

    /** The index of the isolation drop, the rule the explain trace ends on; -1 when the chain has none. */
    private static int dropRule(Chain chain) {
        for (int i = chain.rules().size() - 1; i >= 0; i--) {
            if (chain.rules().get(i).comment().startsWith(ISOLATED_COMMENT)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The group chains that the logged pods are dispatched to, directly or through their ClusterNetworkPolicy chain
     * (whose Pass and fall-through go to them).
     */
    private Set<String> loggedChains(Ruleset ruleset, ClusterSnapshot snapshot) {
        Set<String> namespaces = new TreeSet<>();
        snapshot.namespaces().stream().filter(Namespace::logsDrops).forEach(n -> namespaces.add(n.name()));
        if (namespaces.isEmpty() && !options.everywhere()) {
            return Set.of();
        }
        Map<String, Chain> byName = new HashMap<>();
        ruleset.chains().forEach(c -> byName.put(c.name(), c));
        Set<String> out = new TreeSet<>();
        for (VerdictMap map : ruleset.maps()) {
            for (MapElement e : map.elements()) {
                int slash = e.comment().indexOf('/');
                if (options.everywhere() || slash > 0 && namespaces.contains(e.comment().substring(0, slash))) {
                    out.add(e.chain());
                    Chain target = byName.get(e.chain());
                    if (target != null && id(target.name()).isEmpty()) {
                        target.rules().forEach(r -> {
                            Matcher m = TARGET.matcher(r.statement());
                            if (m.find()) {
                                out.add(m.group(1));
                            }
                        });
                    }
                }
            }
        }
        return out;
    }
}
