package io.nftpolicy.compile;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Makes a compiled ruleset count what its policies allow and what isolation drops, at a cost per packet that does
 * not grow with the table (docs/ruleset.md, "Counters"):
 * <ul>
 *   <li>every allow rule of a NetworkPolicy group chain (a rule with {@link Rule#sources()}) gets a rule
 *       {@code counter} before its verdict. The rule's sources are its provenance;</li>
 *   <li>every group chain's isolation drop is preceded by one drop per family that looks the isolated pod up in a
 *       set with per-element counters ({@link #dropSet}), whose elements are the pods of the direction's dispatch
 *       map: the kernel counts each pod's drops in its own element. The chain's own drop stays last, for an
 *       address no element holds.</li>
 * </ul>
 * Runs after {@link DropLogs}, whose log jump goes before the isolation drop it finds: the counting drops then come
 * after the jump, so a logged drop is counted too.
 * Only packets that reach a policy chain are counted: the first packet of each connection (and of flows judged
 * again after a change), never the packets of flows already accepted, which the base chain's first rule passes.
 *
 * <p>As {@link EstablishedFlows}, one instance per compiler: a chain it already counted is handed back as the same
 * instance, so the backend's diff passes over unchanged chains by identity.
 */
public final class RuleCounters {
    private static final String DROP_SET_PREFIX = "drops-";
    /** An allow rule's verdict; an allow rule whose accepts are logged goes to its log chain ({@link DropLogs}). */
    private static final Pattern VERDICT = Pattern.compile(
            " (accept|return|goto " + DropLogs.ACCEPT_CHAIN_PREFIX + "\\S+)$");
    static final String ISOLATION_COMMENT = "isolated for ";

    private Map<Chain, Chain> counted = new IdentityHashMap<>();
    private final Map<VerdictMap, NamedSet> dropSets = new IdentityHashMap<>();

    /** The name of the set counting the drops of local pods isolated in {@code direction}. */
    public static String dropSet(PolicyType direction, IpFamily family) {
        return DROP_SET_PREFIX + direction.field() + "-" + family.suffix();
    }

    /** The name of the verdict map that dispatches local pods isolated in {@code direction}. */
    public static String dispatchMap(PolicyType direction, IpFamily family) {
        return ObjectNames.dispatchMap(direction, family);
    }

    /** Whether this chain is a NetworkPolicy group chain (whose allow rules and drop are counted). */
    public static boolean isGroupChain(Chain chain) {
        return chain.hook().isEmpty() && (chain.name().startsWith("ing-") || chain.name().startsWith("egr-"));
    }

    /** Whether the rule is a group chain's isolation drop. */
    public static boolean isIsolationDrop(Rule rule) {
        return rule.comment().startsWith(ISOLATION_COMMENT) && rule.statement().endsWith(" drop");
    }

    /** Whether the rule is an allow rule that counts. */
    public static boolean isCountedAllow(Rule rule) {
        return !rule.sources().isEmpty() && rule.statement().contains(" counter ");
    }

    public synchronized Ruleset apply(Ruleset ruleset) {
        Map<Chain, Chain> next = new IdentityHashMap<>();
        List<Chain> chains = new ArrayList<>(ruleset.chains().size());
        for (Chain chain : ruleset.chains()) {
            Chain out = counted.get(chain);
            if (out == null) {
                out = isGroupChain(chain) ? count(chain) : chain;
            }
            next.put(chain, out);
            chains.add(out);
        }
        counted = next;
        List<NamedSet> sets = new ArrayList<>(ruleset.sets());
        Map<VerdictMap, NamedSet> nextDropSets = new IdentityHashMap<>();
        for (PolicyType direction : PolicyType.values()) {
            for (IpFamily family : IpFamily.values()) {
                String mapName = ObjectNames.dispatchMap(direction, family);
                ruleset.maps().stream().filter(m -> m.name().equals(mapName)).findFirst().ifPresent(map -> {
                    NamedSet set = dropSets.get(map);
                    if (set == null) {
                        set = dropSet(map, direction, family);
                    }
                    nextDropSets.put(map, set);
                    sets.add(set);
                });
            }
        }
        dropSets.clear();
        dropSets.putAll(nextDropSets);
        sets.sort(java.util.Comparator.comparing(NamedSet::name));
        return new Ruleset(ruleset.family(), ruleset.table(), ruleset.comment(), sets, ruleset.maps(), chains);
    }

    private static NamedSet dropSet(VerdictMap map, PolicyType direction, IpFamily family) {
        return countingSet(dropSet(direction, family), map, family,
                "drops of local pods isolated for " + direction.field() + ", counted per pod");
    }

    /** A set counting per element, one element per pod of the dispatch map, named after its pod. */
    static NamedSet countingSet(String name, VerdictMap map, IpFamily family, String comment) {
        List<SetElement> elements = new ArrayList<>(map.elements().size());
        for (MapElement e : map.elements()) {
            elements.add(new SetElement(List.of(new KeyPart.Addresses(IpRange.single(e.key()))), List.of(),
                    e.comment()));
        }
        return new NamedSet(name, List.of(PeerSets.addressType(family)), false, comment, elements, true);
    }

    private static Chain count(Chain chain) {
        PolicyType direction = chain.name().startsWith("ing-") ? PolicyType.INGRESS : PolicyType.EGRESS;
        String field = direction == PolicyType.INGRESS ? "daddr" : "saddr";
        List<Rule> rules = new ArrayList<>(chain.rules().size() + 2);
        for (Rule rule : chain.rules()) {
            if (!rule.sources().isEmpty() && VERDICT.matcher(rule.statement()).find()) {
                rules.add(new Rule(VERDICT.matcher(rule.statement()).replaceFirst(" counter $1"), rule.comment(),
                        rule.sources()));
            } else if (isIsolationDrop(rule)) {
                for (IpFamily family : IpFamily.values()) {
                    rules.add(new Rule(family.nftPayload() + " " + field + " @" + dropSet(direction, family) + " "
                            + rule.statement(), rule.comment(), rule.sources()));
                }
                rules.add(rule);
            } else {
                rules.add(rule);
            }
        }
        return new Chain(chain.name(), chain.hook(), chain.comment(), rules);
    }

    /** The policies (namespace/name) a drop rule's comment names: {@code isolated for ingress by a/b, c/d (invalid)}. */
    public static List<String> isolatingPolicies(Rule drop) {
        String comment = drop.comment();
        int by = comment.indexOf(" by ");
        if (!comment.startsWith(ISOLATION_COMMENT) || by < 0) {
            return List.of();
        }
        return Arrays.stream(comment.substring(by + 4).split(", "))
                .map(p -> p.endsWith(" (invalid)") ? p.substring(0, p.length() - " (invalid)".length()) : p)
                .filter(p -> !p.isBlank())
                .toList();
    }

    /** The chain a tier chain hands undecided traffic to ({@code goto ing-...}), if any. */
    public static Optional<String> gotoTarget(Chain chain) {
        return chain.rules().stream().map(Rule::statement)
                .filter(s -> s.startsWith("goto ing-") || s.startsWith("goto egr-"))
                .map(s -> s.substring("goto ".length()).trim())
                .findFirst();
    }
}
