package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.ForeignObject;
import io.nftpolicy.backend.sync.TableState.ChainState;
import io.nftpolicy.backend.sync.TableState.Container;
import io.nftpolicy.backend.sync.TableState.ContainerState;
import io.nftpolicy.backend.sync.TableState.Entry;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The one transaction that turns what the kernel holds into the desired ruleset, sending only the difference.
 *
 * <p>The order makes the transaction valid (every object exists before it is used, nothing is deleted while
 * something still refers to it) and safe (the table and its base chains are never deleted, and the kernel applies
 * the whole transaction at once):
 * <ol>
 *   <li>{@code add table}, only when there is none.</li>
 *   <li>Chains that look up a set or map whose declaration changes (rare) are flushed first, so that the set can
 *       go; that set or map is then deleted and declared again, and refilled with all its elements below.</li>
 *   <li>New sets and maps are declared.</li>
 *   <li>Set elements, set by set: removals, then additions (an interval may only be added once the interval it
 *       replaces is gone). An element whose comment changed is deleted and added again.</li>
 *   <li>Chains whose hook or comment changed (neither can be altered in place; never in steady state) are
 *       recreated: the map elements jumping to them are deleted, then the chain. New chains are declared (all
 *       before any rule), then filled; chains whose rules differ are flushed and refilled with all their rules,
 *       base chains included, which stay on their hook throughout.</li>
 *   <li>Map elements: all removals, then all additions. A pod moving to another chain is a delete and an add of
 *       its element in this one transaction.</li>
 *   <li>Stale chains are deleted, once no map element jumps to them any more (same transaction: verified on kernel
 *       6.18), then stale sets and maps last, once no rule looks them up.</li>
 * </ol>
 * Identical states give an empty transaction.
 *
 * <p>What cannot be repaired without deleting the table is left alone: a table comment that differs (only
 * {@link Drift} reports it).
 */
public final class RulesetDiff {
    private RulesetDiff() {}

    /**
     * The transaction from {@code committed} to {@code desired}.
     *
     * @param committed what the kernel holds; {@code null} or {@link TableState#absent()} for nothing
     * @throws IllegalArgumentException if {@code desired} is not nftpolicy's table ({@code inet nftpolicy})
     */
    public static Transaction between(TableState committed, Ruleset desired) {
        return between(committed, desired, false);
    }

    /**
     * As {@link #between(TableState, Ruleset)}, and with {@code rewriteChains} every chain both sides have is
     * flushed and refilled even when it looks the same (for a read-back state, whose rule digests cannot see a
     * hand edit of a match expression that keeps comment, sets, verdict and literals).
     */
    public static Transaction between(TableState committed, Ruleset desired, boolean rewriteChains) {
        checkTable(desired);
        TableState have = committed == null ? TableState.absent() : committed;
        return between(have, TableState.committed(desired, have), desired, rewriteChains);
    }

    /**
     * The transaction from {@code have} to {@code desired}, where {@code want} is
     * {@code TableState.committed(desired, have)} (built by the caller, who keeps it as the next committed state).
     * Sets, maps and chains that {@code want} took over from {@code have} unchanged are the same objects on both
     * sides and are passed over without looking at their elements or rules.
     */
    static Transaction between(TableState have, TableState want, Ruleset desired, boolean rewriteChains) {
        checkTable(desired);
        Transaction tx = new Transaction();
        List<Container> containers = Container.of(desired);

        Set<String> redeclared = new LinkedHashSet<>();
        have.containers().forEach((name, c) -> {
            ContainerState w = want.containers().get(name);
            if (w != null && !w.sameDeclaration(c)) {
                redeclared.add(name);
            }
        });
        Set<String> recreated = new LinkedHashSet<>();
        Set<String> refilled = new LinkedHashSet<>();
        Set<String> stale = new LinkedHashSet<>();
        have.chains().forEach((name, c) -> {
            ChainState w = want.chains().get(name);
            if (w == null) {
                stale.add(name);
            } else if (!w.sameDeclaration(c)) {
                recreated.add(name);
            } else if (rewriteChains || !w.sameRules(c)) {
                refilled.add(name);
            }
        });

        // 1. The table; adding it again clears its flags, and so switches a dormant table back on.
        if (!have.tablePresent() || !have.flags().isEmpty()) {
            tx.addTable(desired.comment());
        }

        // 1b. What the table holds that nftpolicy never writes goes, after whatever refers to it: foreign chains
        //     are emptied, and so are chains of ours whose rules name a foreign object (a drifted rule: it is
        //     refilled below), in this same transaction.
        Set<String> flushed = new LinkedHashSet<>();
        if (!have.foreign().isEmpty()) {
            for (ForeignObject f : have.foreign()) {
                if (f.kind().equals("chain")) {
                    tx.flushChain(f.name());
                }
            }
            for (ChainState c : have.chains().values()) {
                if (have.foreign().stream().anyMatch(f -> c.mentions(f.name()))) {
                    tx.flushChain(c.name());
                    flushed.add(c.name());
                    if (!stale.contains(c.name()) && !recreated.contains(c.name())) {
                        refilled.add(c.name());
                    }
                }
            }
            have.foreign().stream().filter(f -> f.kind().equals("chain")).forEach(f -> tx.deleteChain(f.name()));
            have.foreign().stream().filter(f -> !f.kind().equals("chain"))
                    .forEach(f -> tx.deleteObject(f.kind(), f.name()));
        }

        // 2. Let go of what is deleted before its chains are refilled: sets and maps declared anew, and chains
        //    recreated (which only a drifted kernel would jump to from a rule).
        if (!redeclared.isEmpty() || !recreated.isEmpty()) {
            for (ChainState c : have.chains().values()) {
                boolean letGo = redeclared.stream().anyMatch(c::uses)
                        || recreated.stream().anyMatch(r -> jumpsTo(c, r));
                if (letGo && !flushed.contains(c.name())) {
                    tx.flushChain(c.name());
                    flushed.add(c.name());
                    if (!stale.contains(c.name()) && !recreated.contains(c.name())) {
                        refilled.add(c.name());
                    }
                }
            }
        }
        for (Container c : containers) {
            if (redeclared.contains(c.name())) {
                tx.delete(have.containers().get(c.name()).named());
                tx.add(c.declaration());
            }
        }

        // 3. New sets and maps.
        for (Container c : containers) {
            if (!have.containers().containsKey(c.name())) {
                tx.add(c.declaration());
            }
        }

        // 4. Set elements: removals, then additions, per set. A set whose state was taken over unchanged has
        //    neither (when names are unique and no set holds a key twice, as the compiler writes them). A set that
        //    follows the state it is compared with is compared only where the two element lists differ: the
        //    elements before and after are equal on both sides, and with each key once per list their keys are
        //    found nowhere else.
        boolean uniqueNames = want.containers().size() == containers.size();
        for (NamedSet set : desired.sets()) {
            ContainerState w = want.containers().get(set.name());
            ContainerState old = redeclared.contains(set.name()) ? null : have.containers().get(set.name());
            if (old == null) {
                tx.addElements(set.name(), set.elements());
                continue;
            }
            if (old == w && uniqueNames && w.uniqueKeys()) {
                continue;
            }
            ContainerState.Trim trim = w.trim();
            List<SetElement> elements = set.elements();
            if (trim != null && trim.basis().get() == old && w.elementList() == elements && old.uniqueKeys()
                    && w.uniqueKeys()) {
                List<?> had = old.elementList();
                elements = elements.subList(trim.prefix(), elements.size() - trim.suffix());
                setElements(tx, set.name(), entries(had.subList(trim.prefix(), had.size() - trim.suffix())),
                        entries(elements), elements);
            } else {
                setElements(tx, set.name(), old.elements(), w.elements(), elements);
            }
        }

        // What the maps hold as the transaction goes (maps declared anew start empty). A map whose state was taken
        // over unchanged keeps all its elements and is left out, unless a chain is recreated.
        Set<String> untouched = new LinkedHashSet<>();
        Map<String, Map<List<KeyPart>, Entry>> current = new LinkedHashMap<>();
        have.containers().forEach((name, m) -> {
            ContainerState w = want.containers().get(name);
            if (redeclared.contains(name)) {
                if (w.isMap()) {
                    current.put(name, new LinkedHashMap<>());
                }
            } else if (!m.isMap()) {
                return;
            } else if (recreated.isEmpty() && uniqueNames && w == m) {
                untouched.add(name);
            } else {
                current.put(name, new LinkedHashMap<>(m.elements()));
            }
        });

        // 5. Chains: recreated ones go first (nothing may jump to them), then every chain is declared before any
        //    rule is written.
        for (String name : recreated) {
            current.forEach((map, elements) -> {
                List<List<KeyPart>> jumping = elements.values().stream()
                        .filter(e -> e.jump().equals(Optional.of(name))).map(Entry::key).toList();
                tx.deleteElements(map, jumping);
                jumping.forEach(elements::remove);
            });
            tx.deleteChain(name);
        }
        for (Chain chain : desired.chains()) {
            if (!have.chains().containsKey(chain.name()) || recreated.contains(chain.name())) {
                tx.addChain(chain.name(), chain.hook(), chain.comment());
            }
        }
        for (Chain chain : desired.chains()) {
            boolean fresh = !have.chains().containsKey(chain.name()) || recreated.contains(chain.name());
            if (!fresh && !refilled.contains(chain.name())) {
                continue;
            }
            if (!fresh && !flushed.contains(chain.name())) {
                tx.flushChain(chain.name());
            }
            for (Rule rule : chain.rules()) {
                tx.addRule(chain.name(), rule);
            }
        }

        // 6. Map elements: every removal, then every addition. Elements of stale maps that jump to stale chains go
        //    too, so that those chains can be deleted.
        for (VerdictMap map : desired.maps()) {
            Map<List<KeyPart>, Entry> old = current.get(map.name());
            if (old == null) {
                continue;
            }
            Map<List<KeyPart>, Entry> wanted = want.containers().get(map.name()).elements();
            List<List<KeyPart>> removals = new ArrayList<>();
            old.forEach((key, e) -> {
                Entry w = wanted.get(key);
                if (w == null || !w.sameAs(e)) {
                    removals.add(key);
                }
            });
            tx.deleteElements(map.name(), removals);
            removals.forEach(old::remove);
        }
        current.forEach((map, elements) -> {
            if (!want.containers().containsKey(map)) {
                tx.deleteElements(map, elements.values().stream()
                        .filter(e -> e.jump().isPresent() && stale.contains(e.jump().get())).map(Entry::key).toList());
            }
        });
        for (VerdictMap map : desired.maps()) {
            if (untouched.contains(map.name())) {
                continue;
            }
            Map<List<KeyPart>, Entry> old = current.getOrDefault(map.name(), Map.of());
            tx.addMapElements(map.name(), map.elements().stream().filter(e -> !old.containsKey(Entry.key(e))).toList());
        }

        // 7. Stale chains, then stale sets and maps. Stale chains that jump to others or look up a stale map (only
        //    in a drifted kernel) are emptied first, so that the order of deletion does not matter.
        for (String name : stale) {
            ChainState c = have.chains().get(name);
            boolean refersToStale = c.jumps() || have.containers().values().stream()
                    .anyMatch(m -> m.isMap() && !want.containers().containsKey(m.name()) && c.uses(m.name()));
            if (refersToStale && !flushed.contains(name)) {
                tx.flushChain(name);
            }
        }
        stale.forEach(tx::deleteChain);
        have.containers().forEach((name, c) -> {
            if (!want.containers().containsKey(name)) {
                tx.delete(c.named());
            }
        });
        return tx;
    }

    /**
     * Removals, then additions, of one set: every element of {@code had} that {@code wanted} does not hold the same
     * (key and effective comment), in {@code had}'s order; then every element of {@code elements} (the desired
     * ones, in the model's order) that {@code had} does not hold the same.
     */
    private static void setElements(Transaction tx, String set, Map<List<KeyPart>, Entry> had,
                                    Map<List<KeyPart>, Entry> wanted, List<SetElement> elements) {
        List<List<KeyPart>> removals = new ArrayList<>();
        had.forEach((key, e) -> {
            Entry x = wanted.get(key);
            if (x == null || !x.sameAs(e)) {
                removals.add(key);
            }
        });
        List<SetElement> additions = new ArrayList<>();
        for (SetElement e : elements) {
            Entry o = had.get(e.key());
            if (o == null || !o.sameAs(entry(wanted, e))) {
                additions.add(e);
            }
        }
        tx.deleteElements(set, removals);
        tx.addElements(set, additions);
    }

    private static Map<List<KeyPart>, Entry> entries(List<?> elements) {
        Map<List<KeyPart>, Entry> out = new LinkedHashMap<>();
        for (Object e : elements) {
            Entry entry = Entry.of(e);
            out.put(entry.key(), entry);
        }
        return out;
    }

    /** The desired state's entry for {@code e}, with its comment cached, or a new one if the set repeats a key. */
    private static Entry entry(Map<List<KeyPart>, Entry> wanted, SetElement e) {
        Entry w = wanted.get(e.key());
        return w != null && w.element() == e ? w : Entry.of(e);
    }

    static void checkTable(Ruleset desired) {
        if (!Ruleset.FAMILY.equals(desired.family()) || !Ruleset.TABLE.equals(desired.table())) {
            throw new IllegalArgumentException("the backend manages table " + Ruleset.FAMILY + " " + Ruleset.TABLE
                    + " only, not " + desired.family() + " " + desired.table());
        }
    }

    private static boolean jumpsTo(ChainState chain, String target) {
        return chain.digests().stream()
                .anyMatch(d -> d.verdict().equals("jump " + target) || d.verdict().equals("goto " + target));
    }
}
