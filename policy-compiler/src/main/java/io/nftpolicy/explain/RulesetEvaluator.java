package io.nftpolicy.explain;

import com.google.common.collect.ArrayListMultimap;
import com.google.common.collect.ListMultimap;
import io.nftpolicy.compile.StagedChains;
import io.nftpolicy.explain.Statement.Kind;
import io.nftpolicy.explain.Trace.Allowance;
import io.nftpolicy.explain.Trace.ChainRun;
import io.nftpolicy.explain.Trace.Check;
import io.nftpolicy.explain.Trace.Denial;
import io.nftpolicy.explain.Trace.Dispatch;
import io.nftpolicy.explain.Trace.Exit;
import io.nftpolicy.explain.Trace.RuleRun;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.tier.TierComment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Evaluates a compiled {@link Ruleset} for the first packet of a connection the way the kernel does: the hook's
 * base chain rule by rule, verdict-map jumps into group chains, {@code return} back, {@code accept} and
 * {@code drop} final, a base chain's policy (accept) when it runs out of rules. It reads the rules' statements, not
 * the compiler's intentions, so it explains what the table does. A statement it does not understand is an error,
 * never skipped.
 *
 * <p>Immutable once built and safe to share; set lookups are indexed, so evaluating a matrix of pods costs about
 * what the kernel's own lookups do, per packet.
 */
public final class RulesetEvaluator {
    /** How deep jumps may nest; the compiler's tables jump once. Deeper means a loop. */
    private static final int MAX_DEPTH = 16;
    private static final Pattern ISOLATED = Pattern.compile("isolated for (ingress|egress) by (.+)");

    private final Map<String, Chain> chains = new HashMap<>();
    private final Map<String, Chain> baseChains = new HashMap<>();
    private final Map<String, SetIndex> sets = new HashMap<>();
    private final Map<String, MapIndex> maps = new HashMap<>();
    private final Map<String, Statement> statements = new ConcurrentHashMap<>();

    /** @throws IllegalArgumentException when two base chains share a hook, which the compiler never writes */
    public RulesetEvaluator(Ruleset ruleset) {
        for (Chain chain : ruleset.chains()) {
            chains.put(chain.name(), chain);
            chain.hook().ifPresent(h -> {
                Chain other = baseChains.putIfAbsent(h.hook(), chain);
                if (other != null) {
                    // Several base chains on one hook run one after the other by priority; the compiler writes one.
                    throw new IllegalArgumentException("explain expects one base chain per hook, and chains "
                            + other.name() + " and " + chain.name() + " are both on hook " + h.hook());
                }
            });
        }
        ruleset.sets().forEach(s -> sets.put(s.name(), new SetIndex(s)));
        ruleset.maps().forEach(m -> maps.put(m.name(), new MapIndex(m)));
    }

    /**
     * The packet through the base chain of {@code hook}. A table without a base chain on that hook lets everything
     * through, and the trace says so with an empty chain.
     *
     * @throws IllegalArgumentException when a rule's statement is not one the compiler writes, or names a set,
     *                                  map or chain the ruleset lacks
     */
    public Trace evaluate(Packet packet, Hook hook) {
        Chain base = baseChains.getOrDefault(hook.nftName(),
                new Chain("(no " + hook.nftName() + " chain)", Optional.empty(), "", List.of()));
        ChainRun run = run(base, Optional.empty(), packet, 0);
        Trace.Verdict verdict = run.exit() == Exit.DROP ? Trace.Verdict.DROP : Trace.Verdict.ACCEPT;
        List<Allowance> allowances = new ArrayList<>();
        List<Denial> denials = new ArrayList<>();
        List<Trace.Staged> staged = new ArrayList<>();
        collect(run, allowances, denials, staged);
        return new Trace(packet, hook, run, verdict, allowances, denials.stream().findFirst(), staged);
    }

    private ChainRun run(Chain chain, Optional<Dispatch> via, Packet packet, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("chain " + chain.name() + " is reached through more than " + MAX_DEPTH
                    + " jumps: the ruleset loops");
        }
        List<RuleRun> runs = new ArrayList<>();
        for (int i = 0; i < chain.rules().size(); i++) {
            Rule rule = chain.rules().get(i);
            Statement statement = statements.computeIfAbsent(rule.statement(), Statement::parse);
            List<Check> checks = new ArrayList<>();
            boolean matched = true;
            for (Statement.Match match : statement.matches()) {
                Check check = check(match, packet);
                checks.add(check);
                if (!check.matched()) {
                    matched = false;
                    break;
                }
            }
            Statement.Verdict verdict;
            Optional<Dispatch> dispatch = Optional.empty();
            if (matched && statement.action() instanceof Statement.MapLookup lookup) {
                dispatch = dispatch(lookup, rule, packet, checks);
                matched = dispatch.isPresent();
                verdict = new Statement.Verdict(Kind.JUMP, dispatch.map(d -> d.element().chain()));
            } else {
                verdict = statement.action() instanceof Statement.Verdict v ? v : null; // null only when unmatched
            }
            if (!matched || verdict.kind() == Kind.CONTINUE) {
                runs.add(new RuleRun(i + 1, rule, checks, matched, Optional.empty(), dispatch, Optional.empty()));
                continue;
            }
            switch (verdict.kind()) {
                case ACCEPT, DROP, REJECT, RETURN -> {
                    runs.add(new RuleRun(i + 1, rule, checks, true, Optional.of(verdict.text()), dispatch, Optional.empty()));
                    Exit exit = verdict.kind() == Kind.ACCEPT ? Exit.ACCEPT
                            : verdict.kind() == Kind.RETURN ? Exit.RETURN : Exit.DROP;
                    return new ChainRun(chain, via, runs, exit);
                }
                default -> {
                    Chain target = chain(verdict.chain().orElseThrow(), rule);
                    ChainRun jumped = run(target, dispatch.isPresent() ? dispatch : via, packet, depth + 1);
                    runs.add(new RuleRun(i + 1, rule, checks, true, Optional.of(verdict.text()), dispatch, Optional.of(jumped)));
                    if (jumped.exit() == Exit.ACCEPT || jumped.exit() == Exit.DROP) {
                        return new ChainRun(chain, via, runs, jumped.exit());
                    }
                    if (verdict.kind() == Kind.GOTO) {
                        // goto does not come back: the target's return is this chain's
                        return new ChainRun(chain, via, runs, Exit.RETURN);
                    }
                }
            }
        }
        return new ChainRun(chain, via, runs, Exit.END);
    }

    /** A verdict-map lookup: the element for the packet's address, recorded as the rule's last check. */
    private Optional<Dispatch> dispatch(Statement.MapLookup lookup, Rule rule, Packet packet, List<Check> checks) {
        MapIndex map = map(lookup.map(), rule);
        Field field = lookup.field();
        Optional<Object> value = field.of(packet);
        Optional<MapElement> element = value.flatMap(map::find);
        String reason;
        if (value.isEmpty()) {
            reason = field.absentBecause(packet);
        } else if (element.isPresent()) {
            reason = Field.format(value.get()) + " is in " + map.describe() + " as " + element.get().key()
                    + quoted(element.get().comment());
        } else {
            reason = Field.format(value.get()) + " is not in " + map.describe();
        }
        checks.add(new Check(lookup.text(), element.isPresent(), reason, Optional.of(lookup.map()), Optional.empty()));
        return element.map(e -> new Dispatch(lookup.map(), e));
    }

    private Check check(Statement.Match match, Packet packet) {
        if (match instanceof Statement.State state) {
            boolean isNew = state.states().contains("new");
            return new Check(state.text(), isNew, "the first packet of a connection has ct state new",
                    Optional.empty(), Optional.empty());
        }
        if (match instanceof Statement.Direction direction) {
            return new Check(direction.text(), direction.direction().equals("original"),
                    "the first packet of a connection goes in its original direction", Optional.empty(), Optional.empty());
        }
        if (match instanceof Statement.ConntrackMark mark) {
            // The generation set never holds 0, and no value the compiler compares with is 0.
            boolean matched = mark.value().map(v -> v == 0).orElse(false);
            return new Check(mark.text(), matched, "a new connection's conntrack entry has no mark yet",
                    Optional.empty(), Optional.empty());
        }
        if (match instanceof Statement.L4proto l4) {
            return new Check(l4.text(), l4.protocol().equalsIgnoreCase(packet.protocol().nftName()),
                    "the packet is " + packet.protocol().nftName(), Optional.empty(), Optional.empty());
        }
        if (match instanceof Statement.Icmpv6 icmp) {
            return new Check(icmp.text(), false, "the packet is " + packet.protocol() + ", not ICMPv6",
                    Optional.empty(), Optional.empty());
        }
        Statement.Lookup lookup = (Statement.Lookup) match;
        SetIndex set = sets.get(lookup.set());
        if (set == null) {
            throw new IllegalArgumentException("a rule looks up set " + lookup.set() + ", which the ruleset lacks: "
                    + lookup.text());
        }
        Object[] values = new Object[lookup.fields().size()];
        for (int i = 0; i < values.length; i++) {
            Field field = lookup.fields().get(i);
            Optional<Object> value = field.of(packet);
            if (value.isEmpty()) {
                return new Check(lookup.text(), false, field.absentBecause(packet), Optional.of(lookup.set()),
                        Optional.empty());
            }
            values[i] = value.get();
        }
        String shown = String.join(" . ", Arrays.stream(values).map(Field::format).toList());
        Optional<SetElement> element = set.find(values, lookup);
        if (element.isPresent()) {
            return new Check(lookup.text(), true, shown + " is in " + set.describe() + " as "
                    + element.get().keyToNft() + quoted(elementComment(element.get())), Optional.of(lookup.set()), element);
        }
        return new Check(lookup.text(), false, shown + " is not in " + set.describe() + set.nearMisses(values),
                Optional.of(lookup.set()), Optional.empty());
    }

    private static void collect(ChainRun run, List<Allowance> allowances, List<Denial> denials,
                                List<Trace.Staged> staged) {
        for (RuleRun rule : run.rules()) {
            List<Source> elementSources = elementSources(rule);
            Optional<TierComment> tier = TierComment.decided(rule.rule().comment(), elementSources);
            // A rule over a run of ClusterNetworkPolicy rules stands, in the trace, for the one that decided.
            Rule decided = tier.map(t -> new Rule(rule.rule().statement(), t.text(), rule.rule().sources()))
                    .orElse(rule.rule());
            if (tier.isPresent() && tier.get().action().equals("Deny") && rule.matched() && run.via().isPresent()
                    && rule.jumped().map(j -> j.exit() == Exit.DROP).orElse(false)) {
                // A ClusterNetworkPolicy Deny: the rule that matched says why, not the shared drop it jumps to.
                denials.add(new Denial(run.chain().name(), run.via().get().subject(), rule.position(), decided,
                        Optional.of(tier.get().direction()), List.of()));
            }
            if (rule.jumped().isPresent() && StagedChains.isStagedChain(rule.jumped().get().chain())) {
                staged(rule.jumped().get()).ifPresent(staged::add);
                continue; // it decides nothing: no allowance nor denial of the packet
            }
            rule.jumped().ifPresent(j -> collect(j, allowances, denials, staged));
            if (!rule.matched() || run.via().isEmpty() || rule.action().isEmpty()) {
                continue;
            }
            String subject = run.via().get().subject();
            String action = rule.action().get();
            if (action.equals("accept") || action.equals("return")) {
                allowances.add(new Allowance(run.chain().name(), subject, rule.position(), decided, sources(rule)));
            } else if (action.equals("drop")) {
                Matcher isolated = ISOLATED.matcher(rule.rule().comment());
                Optional<PolicyType> direction = isolated.matches()
                        ? Optional.of(isolated.group(1).equals("ingress") ? PolicyType.INGRESS : PolicyType.EGRESS)
                        : Optional.empty();
                List<String> policies = isolatedBy(rule.rule());
                denials.add(new Denial(run.chain().name(), subject, rule.position(), rule.rule(), direction, policies));
            }
        }
    }

    /** The sources of the last set element the rule matched that has any (a merged set's): empty when none has. */
    private static List<Source> elementSources(RuleRun rule) {
        return rule.checks().stream()
                .flatMap(c -> c.element().stream())
                .filter(e -> !e.sources().isEmpty())
                .map(SetElement::sources)
                .reduce((a, b) -> b)
                .orElse(List.of());
    }

    /** The policy peers that allowed: the matched element's own sources in a merged set, otherwise the rule's. */
    private static List<Source> sources(RuleRun rule) {
        List<Source> fromElement = elementSources(rule);
        return fromElement.isEmpty() ? rule.rule().sources() : fromElement;
    }

    /** What a staged chain the packet went through would have done: the rule that returned, or the chain's end. */
    private static Optional<Trace.Staged> staged(ChainRun run) {
        if (run.via().isEmpty()) {
            return Optional.empty();
        }
        Chain chain = run.chain();
        RuleRun last = run.rules().isEmpty() ? null : run.rules().get(run.rules().size() - 1);
        boolean allows = last != null && last.matched() && StagedChains.isWouldAllow(last.rule());
        return Optional.of(new Trace.Staged(chain.name(), run.via().get().subject(), StagedChains.direction(chain),
                StagedChains.stagedPolicies(chain), StagedChains.allPolicies(chain), allows,
                last == null ? 0 : last.position(), last == null ? Rule.of("", "") : last.rule(),
                allows ? sources(last) : List.of()));
    }

    /** The policies an isolation drop names, as it names them ("ns/name", "ns/name (invalid)"); none for others. */
    static List<String> isolatedBy(Rule rule) {
        Matcher isolated = ISOLATED.matcher(rule.comment());
        return isolated.matches() ? List.of(isolated.group(2).split(", ")) : List.of();
    }

    private static String elementComment(SetElement element) {
        return element.comment().isEmpty() ? NftRenderer.sourcesComment(element.sources()) : element.comment();
    }

    private static String quoted(String comment) {
        return comment.isEmpty() ? "" : " \"" + comment + "\"";
    }

    private Chain chain(String name, Rule rule) {
        Chain chain = chains.get(name);
        if (chain == null) {
            throw new IllegalArgumentException("rule '" + rule.statement() + "' jumps to chain " + name
                    + ", which the ruleset lacks");
        }
        return chain;
    }

    private MapIndex map(String name, Rule rule) {
        MapIndex map = maps.get(name);
        if (map == null) {
            throw new IllegalArgumentException("rule '" + rule.statement() + "' looks up map " + name
                    + ", which the ruleset lacks");
        }
        return map;
    }

    /** A verdict map's elements by address. */
    private static final class MapIndex {
        private final VerdictMap map;
        private final Map<IpAddress, MapElement> byKey = new HashMap<>();

        MapIndex(VerdictMap map) {
            this.map = map;
            map.elements().forEach(e -> byKey.put(e.key(), e));
        }

        Optional<MapElement> find(Object value) {
            return Optional.ofNullable(byKey.get(value));
        }

        String describe() {
            return "map " + map.name() + quoted(map.comment());
        }
    }

    /**
     * A named set's elements, those keyed by one address hashed by it (the pods of a peer set), the others (ranges,
     * ipBlocks) scanned. Interval sets hold disjoint elements, so at most one element matches.
     */
    private static final class SetIndex {
        private static final int SHOWN = 4;
        private final NamedSet set;
        private final ListMultimap<IpAddress, SetElement> byAddress = ArrayListMultimap.create();
        private final List<SetElement> others = new ArrayList<>();

        SetIndex(NamedSet set) {
            this.set = set;
            for (SetElement e : set.elements()) {
                if (!e.key().isEmpty() && e.key().get(0) instanceof KeyPart.Addresses a
                        && a.range().first().equals(a.range().last())) {
                    byAddress.put(a.range().first(), e);
                } else {
                    others.add(e);
                }
            }
        }

        Optional<SetElement> find(Object[] values, Statement.Lookup lookup) {
            if (set.keyType().size() != values.length) {
                throw new IllegalArgumentException("'" + lookup.text() + "' looks up " + values.length
                        + " fields in set " + set.name() + ", whose key has " + set.keyType().size());
            }
            for (SetElement e : candidates(values[0])) {
                if (covers(e, values, values.length)) {
                    return Optional.of(e);
                }
            }
            return Optional.empty();
        }

        /**
         * What the set holds instead, where that helps: for a concatenation keyed by address, the elements of the
         * packet's address (on other protocols or ports); for a set of protocols and ports, its elements.
         */
        String nearMisses(Object[] values) {
            List<SetElement> near;
            String prefix;
            if (values[0] instanceof IpAddress address) {
                if (values.length < 2) {
                    return "";
                }
                near = candidates(address).stream().filter(e -> covers(e, values, 1)).toList();
                prefix = "; it holds " + address + " only as ";
            } else {
                near = set.elements();
                prefix = "; it holds ";
            }
            if (near.isEmpty()) {
                return "";
            }
            return prefix + String.join(", ", near.stream().limit(SHOWN).map(SetElement::keyToNft).toList())
                    + (near.size() > SHOWN ? " and " + (near.size() - SHOWN) + " more" : "");
        }

        String describe() {
            return set.name() + quoted(set.comment());
        }

        private List<SetElement> candidates(Object first) {
            List<SetElement> exact = first instanceof IpAddress a ? byAddress.get(a) : List.of();
            if (exact.isEmpty()) {
                return others;
            }
            List<SetElement> all = new ArrayList<>(exact);
            all.addAll(others);
            return all;
        }

        private static boolean covers(SetElement e, Object[] values, int parts) {
            for (int i = 0; i < parts; i++) {
                if (!Field.covers(e.key().get(i), values[i])) {
                    return false;
                }
            }
            return true;
        }
    }
}
