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
import java.util.function.Predicate;
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
 * <p>Accept logs, an audit of what policy allows, work the same way for namespaces annotated
 * {@value Namespace#LOG_ACCEPTS_ANNOTATION}{@code : "true"} (or every namespace): each allow rule of their group
 * chains goes to a chain of its own ({@code goto acc-ing-3152e6ed-0}) that logs the first packet of a new connection
 * within the rate, with prefix {@code nftpolicy accept ing-3152e6ed 0} (the chain's id and the rule's index), and
 * then gives the rule's verdict. This one does cost allowed connections: a goto, a conntrack-state check and a token
 * bucket.
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
    /** What the prefix of a logged accept starts with; the chain's id and the rule's index follow. */
    public static final String ACCEPT_PREFIX = "nftpolicy accept ";
    public static final String ACCEPT_CHAIN_PREFIX = "acc-";
    static final String ISOLATED_COMMENT = "isolated for ";
    private static final Pattern GROUP_CHAIN = Pattern.compile("((?:ing|egr)-[0-9a-f]{8})-.*");
    private static final Pattern TARGET = Pattern.compile("(?:goto|jump) (\\S+)$");
    /** An allow rule of a group chain: its match, and its verdict. */
    private static final Pattern ALLOW = Pattern.compile("(.*?)(accept|return)");

    /**
     * @param everywhere         log the drops of every namespace's pods, annotated or not
     * @param group              the NFLOG group (0..65535)
     * @param ratePerSecond      packets logged per second and log chain, at most
     * @param burst              packets logged at once before the rate applies
     * @param acceptsEverywhere  also log the first packet of every connection an allow rule accepts, in every
     *                           namespace; otherwise only in those annotated {@value Namespace#LOG_ACCEPTS_ANNOTATION}
     */
    public record Options(boolean everywhere, int group, int ratePerSecond, int burst, boolean acceptsEverywhere) {
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

        /** Drops only (accepts where annotated). */
        public Options(boolean everywhere, int group, int ratePerSecond, int burst) {
            this(everywhere, group, ratePerSecond, burst, false);
        }

        /** Per annotated namespace (or everywhere), group {@value #DEFAULT_GROUP}, 10 per second, burst 5. */
        public static Options defaults(boolean everywhere) {
            return new Options(everywhere, DEFAULT_GROUP, 10, 5);
        }
    }

    /** A group chain as rewritten for one choice of what it logs, and the log chains it goes to. */
    private record Rewrite(boolean drops, boolean accepts, Chain chain, List<Chain> logChains) {}

    private final Options options;
    private Map<Chain, Rewrite> previous = new IdentityHashMap<>();

    public DropLogs(Options options) {
        this.options = options;
    }

    /**
     * The ruleset with the drops (and, where asked, the accepts) of the chosen namespaces' pods logged; the same
     * instance when none is.
     */
    public Ruleset apply(Ruleset ruleset, ClusterSnapshot snapshot) {
        Set<String> drops = loggedChains(ruleset, snapshot, Namespace::logsDrops, options.everywhere());
        Set<String> accepts = loggedChains(ruleset, snapshot, Namespace::logsAccepts, options.acceptsEverywhere());
        Map<Chain, Rewrite> reused = new IdentityHashMap<>();
        List<Chain> chains = new ArrayList<>(ruleset.chains().size());
        List<Chain> added = new ArrayList<>();
        for (Chain chain : ruleset.chains()) {
            Optional<String> id = id(chain.name());
            boolean logDrops = id.isPresent() && drops.contains(chain.name()) && dropRule(chain) >= 0;
            boolean logAccepts = id.isPresent() && accepts.contains(chain.name());
            if (!logDrops && !logAccepts) {
                chains.add(chain);
                continue;
            }
            Rewrite rewrite = previous.get(chain);
            if (rewrite == null || rewrite.drops() != logDrops || rewrite.accepts() != logAccepts) {
                rewrite = rewrite(chain, id.get(), logDrops, logAccepts);
            }
            reused.put(chain, rewrite);
            chains.add(rewrite.chain());
            added.addAll(rewrite.logChains());
        }
        previous = reused;
        if (reused.isEmpty()) {
            return ruleset;
        }
        added.sort(Comparator.comparing(Chain::name));
        chains.addAll(added);
        return new Ruleset(ruleset.family(), ruleset.table(), ruleset.comment(), ruleset.sets(), ruleset.maps(), chains);
    }

    private Rewrite rewrite(Chain chain, String id, boolean logDrops, boolean logAccepts) {
        List<Rule> rules = new ArrayList<>(chain.rules());
        List<Chain> logChains = new ArrayList<>();
        if (logAccepts) {
            for (int i = 0; i < rules.size(); i++) {
                Rule rule = rules.get(i);
                Matcher allow = ALLOW.matcher(rule.statement());
                if (rule.sources().isEmpty() || !allow.matches()) {
                    continue;
                }
                String name = ACCEPT_CHAIN_PREFIX + id + "-" + i;
                // goto, not jump: the log chain's return then leaves the group chain too, as the egress allow did.
                rules.set(i, new Rule(allow.group(1) + "goto " + name, rule.comment(), rule.sources()));
                logChains.add(acceptChain(name, acceptPrefix(id, i), allow.group(2), chain.name()));
            }
        }
        if (logDrops) {
            rules.add(dropRule(chain), Rule.of("ct state new jump " + LOG_CHAIN_PREFIX + id,
                    "a connection attempt: logged, then dropped"));
            logChains.add(logChain(id, chain.name()));
        }
        return new Rewrite(logDrops, logAccepts, new Chain(chain.name(), chain.hook(), chain.comment(), rules),
                List.copyOf(logChains));
    }

    /** The short id of a group chain ({@code ing-3152e6ed}), which log prefixes carry; empty for other chains. */
    public static Optional<String> id(String chainName) {
        Matcher m = GROUP_CHAIN.matcher(chainName);
        return m.matches() ? Optional.of(m.group(1)) : Optional.empty();
    }

    /** The log prefix of the first packets that rule {@code index} of a group chain accepts. */
    public static String acceptPrefix(String id, int index) {
        return ACCEPT_PREFIX + id + " " + index;
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

    /**
     * The first packet of each connection a rule allows is logged, within the rate; the verdict stays the rule's
     * ({@code accept}, or {@code return} for egress).
     */
    private Chain acceptChain(String name, String prefix, String verdict, String groupChain) {
        String limit = "limit rate " + options.ratePerSecond() + "/second burst " + options.burst() + " packets";
        return new Chain(name, Optional.empty(), "accept log of " + groupChain, List.of(
                Rule.of("ct state new " + limit + " log prefix \"" + prefix + "\" group " + options.group() + " "
                        + verdict, "to NFLOG group " + options.group() + ", at most the rate"),
                Rule.of("ct state new counter " + verdict, "over the rate limit: not logged"),
                Rule.of(verdict, "allowed")));
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
    private static Set<String> loggedChains(Ruleset ruleset, ClusterSnapshot snapshot, Predicate<Namespace> asks,
                                            boolean everywhere) {
        Set<String> namespaces = new TreeSet<>();
        snapshot.namespaces().stream().filter(asks).forEach(n -> namespaces.add(n.name()));
        if (namespaces.isEmpty() && !everywhere) {
            return Set.of();
        }
        Map<String, Chain> byName = new HashMap<>();
        ruleset.chains().forEach(c -> byName.put(c.name(), c));
        Set<String> out = new TreeSet<>();
        for (VerdictMap map : ruleset.maps()) {
            for (MapElement e : map.elements()) {
                int slash = e.comment().indexOf('/');
                if (everywhere || slash > 0 && namespaces.contains(e.comment().substring(0, slash))) {
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
