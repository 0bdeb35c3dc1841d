package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.kernel.ForeignObject;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * How much a diff from {@code had} to {@code want} may send, from the two tables alone: what differs between them,
 * by set arithmetic over their elements, declarations and chains, and never by diffing as {@link RulesetDiff} does.
 * A diff that resends what both tables hold alike (a whole set for one element, a chain whose rules are the same)
 * goes over it.
 *
 * <ul>
 *   <li>Elements: those held on one side only (key, comment as the kernel keeps it, verdict), and every element of a
 *       set or map declared differently (deleted with it and refilled); map elements jumping to a chain declared
 *       differently (that chain is recreated), twice; every entry of a key held twice on either side, and every
 *       element of a set of a name held twice (which no kernel holds), once per set of that name.</li>
 *   <li>Sets and maps: two operations (delete, declare) per set or map declared differently or on one side only
 *       (per declaration of its name).</li>
 *   <li>Chains: three operations (flush, delete, declare) per chain whose declaration or rules differ, that looks up
 *       a set declared differently or jumps to a chain declared differently, that names a foreign object, or any
 *       chain when all are rewritten; two per foreign chain. Rules: all the rules of those chains.</li>
 *   <li>Each foreign object once more (its delete, a set's or map's among those of sets and maps), and the table
 *       once.</li>
 * </ul>
 */
record DiffBound(int elements, int containers, int chains, int rules, int other) {

    /**
     * @param had what the kernel holds; empty for no table
     * @param rewriteChains whether every chain both sides hold is refilled (after a read-back)
     */
    static DiffBound between(Optional<Ruleset> had, Ruleset want, boolean rewriteChains, List<ForeignObject> foreign) {
        Ruleset h = had.map(FakeNft::normalized).orElse(null);
        Ruleset w = FakeNft.normalized(want);
        Map<String, Set<Object>> hDecl = declarations(h);
        Map<String, Set<Object>> wDecl = declarations(w);
        Set<String> redeclared = differing(hDecl, wDecl);

        Map<String, Set<Object>> hChainDecl = chainDeclarations(h);
        Map<String, Set<Object>> wChainDecl = chainDeclarations(w);
        Set<String> recreatedChains = new HashSet<>(differing(hChainDecl, wChainDecl));
        recreatedChains.retainAll(hChainDecl.keySet());
        recreatedChains.retainAll(wChainDecl.keySet());

        Set<String> twiceNamed = union(twiceNamed(h), twiceNamed(w));
        Map<String, Set<Object>> hEntries = entries(h);
        Map<String, Set<Object>> wEntries = entries(w);
        int elements = 0;
        for (String name : union(hEntries.keySet(), wEntries.keySet())) {
            Set<Object> he = hEntries.getOrDefault(name, Set.of());
            Set<Object> we = wEntries.getOrDefault(name, Set.of());
            if (twiceNamed.contains(name)) {
                elements += (he.size() + we.size()) * Math.max(1, declaredCount(w, name));
            } else {
                elements += redeclared.contains(name) ? he.size() + we.size()
                        : minus(he, we).size() + minus(we, he).size();
            }
        }
        elements += keysWrittenTwice(h) + keysWrittenTwice(w);
        elements += 2 * (int) Stream.of(h, w).filter(r -> r != null).flatMap(r -> r.maps().stream())
                .flatMap(m -> m.elements().stream()).filter(e -> recreatedChains.contains(e.chain())).count();

        Map<String, Set<Object>> hChains = chainContents(h);
        Map<String, Set<Object>> wChains = chainContents(w);
        Set<String> touched = new HashSet<>(differing(hChains, wChains));
        Set<String> foreignNames = new HashSet<>();
        foreign.forEach(f -> foreignNames.add(f.name()));
        Stream.of(h, w).filter(r -> r != null).flatMap(r -> r.chains().stream()).forEach(c -> {
            boolean both = hChains.containsKey(c.name()) && wChains.containsKey(c.name());
            if ((rewriteChains && both) || c.rules().stream().anyMatch(r -> mentionsAny(r, redeclared)
                    || mentionsAny(r, recreatedChains) || mentionsAny(r, foreignNames))) {
                touched.add(c.name());
            }
        });
        int rules = w.chains().stream().filter(c -> touched.contains(c.name())).mapToInt(c -> c.rules().size()).sum();
        int foreignChains = count(foreign, Set.of("chain"));
        int foreignContainers = count(foreign, Set.of("set", "map"));
        int containers = redeclared.stream().mapToInt(n -> 2 * Math.max(1, declaredCount(w, n))).sum();
        return new DiffBound(elements, containers + foreignContainers, 3 * touched.size() + 2 * foreignChains,
                rules, 1 + foreign.size() - foreignChains - foreignContainers);
    }

    /** The transaction sends no more of each kind of object than the two tables differ by. */
    void assertBounds(Transaction tx, String where) {
        int elementOps = 0;
        int containerOps = 0;
        int chainOps = 0;
        int ruleOps = 0;
        int otherOps = 0;
        for (Transaction.Operation op : tx.steps()) {
            NftObject o = op.object();
            if (o instanceof NftObject.Element) {
                elementOps++;
            } else if (o instanceof NftObject.Set || o instanceof NftObject.Map) {
                containerOps++;
            } else if (o instanceof NftObject.Chain) {
                chainOps++;
            } else if (o instanceof NftObject.Rule) {
                ruleOps++;
            } else {
                otherOps++;
            }
        }
        assertThat(elementOps).as(where + ": element operations ").isLessThanOrEqualTo(elements);
        assertThat(containerOps).as(where + ": set and map operations ").isLessThanOrEqualTo(containers);
        assertThat(chainOps).as(where + ": chain operations").isLessThanOrEqualTo(chains);
        assertThat(ruleOps).as(where + ": rules written").isLessThanOrEqualTo(rules);
        assertThat(otherOps).as(where + ": other operations").isLessThanOrEqualTo(other);
    }

    private static int declaredCount(Ruleset r, String name) {
        return (int) Stream.concat(r.sets().stream().map(NamedSet::name), r.maps().stream().map(VerdictMap::name))
                .filter(name::equals).count();
    }

    /** Names of two sets or maps of {@code r} (which no kernel holds: the diff may send all their elements). */
    private static Set<String> twiceNamed(Ruleset r) {
        Set<String> seen = new HashSet<>();
        Set<String> twice = new HashSet<>();
        if (r != null) {
            Stream.concat(r.sets().stream().map(NamedSet::name), r.maps().stream().map(VerdictMap::name))
                    .filter(n -> !seen.add(n)).forEach(twice::add);
        }
        return twice;
    }

    /**
     * Entries of a key that a set or map of {@code r} holds more than once: the kernel keeps one of them, and a diff
     * to or from such a table may send one again (the compiler never writes a key twice).
     */
    private static int keysWrittenTwice(Ruleset r) {
        int twice = 0;
        if (r == null) {
            return 0;
        }
        for (NamedSet s : r.sets()) {
            twice += s.elements().size() - (int) s.elements().stream().map(SetElement::key).distinct().count();
        }
        for (VerdictMap m : r.maps()) {
            twice += m.elements().size() - (int) m.elements().stream().map(MapElement::key).distinct().count();
        }
        return twice;
    }

    private static int count(List<ForeignObject> foreign, Set<String> kinds) {
        return (int) foreign.stream().filter(f -> kinds.contains(f.kind())).count();
    }

    /** Per set or map name, its declarations (kind, type, flags, comment); two when two of one name differ. */
    private static Map<String, Set<Object>> declarations(Ruleset r) {
        Map<String, Set<Object>> out = new HashMap<>();
        if (r != null) {
            r.sets().forEach(s -> add(out, s.name(), List.of("set", s.keyType(), s.interval(), s.comment())));
            r.maps().forEach(m -> add(out, m.name(), List.of("map", m.keyType(), m.comment())));
        }
        return out;
    }

    /** Per set or map name, its elements as the kernel keeps them. */
    private static Map<String, Set<Object>> entries(Ruleset r) {
        Map<String, Set<Object>> out = new HashMap<>();
        if (r != null) {
            for (NamedSet s : r.sets()) {
                out.computeIfAbsent(s.name(), n -> new HashSet<>());
                s.elements().forEach(e -> add(out, s.name(), List.of(e.key(), e.comment())));
            }
            for (VerdictMap m : r.maps()) {
                out.computeIfAbsent(m.name(), n -> new HashSet<>());
                m.elements().forEach(e -> add(out, m.name(), List.of(e.key(), e.chain(), e.comment())));
            }
        }
        return out;
    }

    private static Map<String, Set<Object>> chainDeclarations(Ruleset r) {
        Map<String, Set<Object>> out = new HashMap<>();
        if (r != null) {
            r.chains().forEach(c -> add(out, c.name(), List.of(c.hook(), c.comment())));
        }
        return out;
    }

    private static Map<String, Set<Object>> chainContents(Ruleset r) {
        Map<String, Set<Object>> out = new HashMap<>();
        if (r != null) {
            r.chains().forEach(c -> add(out, c.name(), List.of(c.hook(), c.comment(), c.rules())));
        }
        return out;
    }

    private static boolean mentionsAny(Rule rule, Set<String> names) {
        return names.stream().anyMatch(n -> rule.statement().matches(".*(@|jump |goto )" + java.util.regex.Pattern.quote(n) + "\\b.*"));
    }

    /** Names whose values differ, or that one side lacks. */
    private static Set<String> differing(Map<String, Set<Object>> a, Map<String, Set<Object>> b) {
        Set<String> out = new HashSet<>();
        for (String name : union(a.keySet(), b.keySet())) {
            if (!a.getOrDefault(name, Set.of()).equals(b.getOrDefault(name, Set.of()))) {
                out.add(name);
            }
        }
        return out;
    }

    private static void add(Map<String, Set<Object>> map, String name, Object value) {
        map.computeIfAbsent(name, n -> new HashSet<>()).add(value);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new HashSet<>(a);
        out.addAll(b);
        return out;
    }

    private static Set<Object> minus(Set<Object> a, Set<Object> b) {
        Set<Object> out = new HashSet<>(a);
        out.removeAll(b);
        return out;
    }
}
