package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelChain;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.kernel.RuleDigest;
import io.nftpolicy.backend.sync.ReferenceDiff.OldState.ChainState;
import io.nftpolicy.backend.sync.ReferenceDiff.OldState.MapState;
import io.nftpolicy.backend.sync.ReferenceDiff.OldState.SetState;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The diff as it was before it learned to skip what did not change (every element compared, every comment
 * rendered on every comparison, every chain rendered): kept verbatim as the oracle for
 * {@link RulesetDiffEquivalenceTest}, which requires the incremental diff to send exactly the same transactions.
 */
final class ReferenceDiff {
    private ReferenceDiff() {}

    static Transaction between(OldState committed, Ruleset desired) {
        return between(committed, desired, false);
    }

    /**
     * As {@link #between(OldState, Ruleset)}, and with {@code rewriteChains} every chain both sides have is
     * flushed and refilled even when it looks the same (for a read-back state, whose rule digests cannot see a
     * hand edit of a match expression that keeps comment, sets, verdict and literals).
     */
    static Transaction between(OldState committed, Ruleset desired, boolean rewriteChains) {
        RulesetDiff.checkTable(desired);
        OldState have = committed == null ? OldState.absent() : committed;
        OldState want = OldState.committed(desired);
        Transaction tx = new Transaction();

        Set<String> redeclared = new LinkedHashSet<>();
        have.sets().forEach((name, s) -> {
            SetState w = want.sets().get(name);
            if (w != null && !w.sameDeclaration(s)) {
                redeclared.add(name);
            }
        });
        have.maps().forEach((name, m) -> {
            MapState w = want.maps().get(name);
            if (w != null && !w.sameDeclaration(m)) {
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

        // 1. The table.
        if (!have.tablePresent()) {
            tx.addTable(desired.comment());
        }

        // 2. Let go of what is deleted before its chains are refilled: sets and maps declared anew, and chains
        //    recreated (which only a drifted kernel would jump to from a rule).
        Set<String> flushed = new LinkedHashSet<>();
        for (ChainState c : have.chains().values()) {
            boolean letGo = redeclared.stream().anyMatch(c::uses)
                    || recreated.stream().anyMatch(r -> jumpsTo(c, r));
            if (letGo) {
                tx.flushChain(c.name());
                flushed.add(c.name());
                if (!stale.contains(c.name()) && !recreated.contains(c.name())) {
                    refilled.add(c.name());
                }
            }
        }
        for (NamedSet set : desired.sets()) {
            if (redeclared.contains(set.name()) && have.sets().containsKey(set.name())) {
                tx.deleteSet(set.name());
                tx.addSet(set);
            }
        }
        for (VerdictMap map : desired.maps()) {
            if (redeclared.contains(map.name()) && have.maps().containsKey(map.name())) {
                tx.deleteMap(map.name());
                tx.addMap(map);
            }
        }

        // 3. New sets and maps.
        for (NamedSet set : desired.sets()) {
            if (!have.sets().containsKey(set.name())) {
                tx.addSet(set);
            }
        }
        for (VerdictMap map : desired.maps()) {
            if (!have.maps().containsKey(map.name())) {
                tx.addMap(map);
            }
        }

        // 4. Set elements: removals, then additions, per set.
        for (NamedSet set : desired.sets()) {
            SetState old = redeclared.contains(set.name()) ? null : have.sets().get(set.name());
            Map<List<KeyPart>, SetElement> wanted = want.sets().get(set.name()).elements();
            List<List<KeyPart>> removals = new ArrayList<>();
            if (old != null) {
                old.elements().forEach((key, e) -> {
                    SetElement w = wanted.get(key);
                    if (w == null || !OldState.sameElement(w, e)) {
                        removals.add(key);
                    }
                });
            }
            List<SetElement> additions = new ArrayList<>();
            for (SetElement e : set.elements()) {
                SetElement o = old == null ? null : old.elements().get(e.key());
                if (o == null || !OldState.sameElement(o, e)) {
                    additions.add(e);
                }
            }
            tx.deleteElements(set.name(), removals);
            tx.addElements(set.name(), additions);
        }

        // What the maps hold as the transaction goes (maps declared anew start empty).
        Map<String, Map<IpAddress, MapElement>> current = new LinkedHashMap<>();
        have.maps().forEach((name, m) -> current.put(name,
                redeclared.contains(name) ? new LinkedHashMap<>() : new LinkedHashMap<>(m.elements())));

        // 5. Chains: recreated ones go first (nothing may jump to them), then every chain is declared before any
        //    rule is written.
        for (String name : recreated) {
            current.forEach((map, elements) -> {
                List<IpAddress> jumping = elements.values().stream()
                        .filter(e -> e.chain().equals(name)).map(MapElement::key).toList();
                deleteAddresses(tx, map, jumping);
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
            Map<IpAddress, MapElement> old = current.get(map.name());
            if (old == null) {
                continue;
            }
            Map<IpAddress, MapElement> wanted = want.maps().get(map.name()).elements();
            List<IpAddress> removals = new ArrayList<>();
            old.forEach((key, e) -> {
                MapElement w = wanted.get(key);
                if (w == null || !OldState.sameElement(w, e)) {
                    removals.add(key);
                }
            });
            deleteAddresses(tx, map.name(), removals);
            removals.forEach(old::remove);
        }
        current.forEach((map, elements) -> {
            if (!want.maps().containsKey(map)) {
                deleteAddresses(tx, map, elements.values().stream()
                        .filter(e -> stale.contains(e.chain())).map(MapElement::key).toList());
            }
        });
        for (VerdictMap map : desired.maps()) {
            Map<IpAddress, MapElement> old = current.getOrDefault(map.name(), Map.of());
            tx.addMapElements(map.name(), map.elements().stream().filter(e -> !old.containsKey(e.key())).toList());
        }

        // 7. Stale chains, then stale sets and maps. Stale chains that jump to others or look up a stale map (only
        //    in a drifted kernel) are emptied first, so that the order of deletion does not matter.
        for (String name : stale) {
            ChainState c = have.chains().get(name);
            boolean refersToStale = c.jumps() || have.maps().keySet().stream()
                    .anyMatch(m -> !want.maps().containsKey(m) && c.uses(m));
            if (refersToStale && !flushed.contains(name)) {
                tx.flushChain(name);
            }
        }
        stale.forEach(tx::deleteChain);
        for (String name : have.sets().keySet()) {
            if (!want.sets().containsKey(name)) {
                tx.deleteSet(name);
            }
        }
        for (String name : have.maps().keySet()) {
            if (!want.maps().containsKey(name)) {
                tx.deleteMap(name);
            }
        }
        return tx;
    }

    private static boolean jumpsTo(ChainState chain, String target) {
        return chain.digests().stream()
                .anyMatch(d -> d.verdict().equals("jump " + target) || d.verdict().equals("goto " + target));
    }

    /** The state as it was: every element, comment and rule text computed when the state is built. */
    static final class OldState {
        private static final OldState ABSENT = new OldState(false, "", Map.of(), Map.of(), Map.of(), true);

        private final boolean tablePresent;
        private final String tableComment;
        private final Map<String, SetState> sets;
        private final Map<String, MapState> maps;
        private final Map<String, ChainState> chains;
        private final boolean exactRules;

        /** A set: declaration, and its elements by key (the kernel's comment as the element's comment). */
        record SetState(String name, List<KeyType> keyType, boolean interval, String comment,
                        Map<List<KeyPart>, SetElement> elements) {
            boolean sameDeclaration(SetState o) {
                return keyType.equals(o.keyType) && interval == o.interval && comment.equals(o.comment);
            }

            String declaration() {
                return "type " + String.join(" . ", keyType.stream().map(KeyType::nftName).toList())
                        + (interval ? ", flags interval" : "") + (comment.isEmpty() ? "" : ", comment \"" + comment + "\"");
            }
        }

        /** A verdict map: declaration, and its elements by key. */
        record MapState(String name, KeyType keyType, String comment, Map<IpAddress, MapElement> elements) {
            boolean sameDeclaration(MapState o) {
                return keyType == o.keyType && comment.equals(o.comment);
            }

            String declaration() {
                return "type " + keyType.nftName() + " : verdict" + (comment.isEmpty() ? "" : ", comment \"" + comment + "\"");
            }
        }

        /**
         * A chain.
         *
         * @param rules the exact rules when known (a committed model), else empty (read back: digests only)
         */
        record ChainState(String name, Optional<BaseHook> hook, String comment, List<RuleDigest> digests,
                          Optional<List<String>> rules) {
            boolean sameDeclaration(ChainState o) {
                return hook.equals(o.hook) && comment.equals(o.comment);
            }

            boolean sameRules(ChainState o) {
                if (rules.isPresent() && o.rules.isPresent()) {
                    return rules.get().equals(o.rules.get());
                }
                return digests.equals(o.digests);
            }

            /** Names of the sets and maps its rules look up. */
            boolean uses(String setOrMap) {
                return digests.stream().anyMatch(d -> d.sets().contains(setOrMap));
            }

            boolean jumps() {
                return digests.stream().anyMatch(d -> d.verdict().startsWith("jump ") || d.verdict().startsWith("goto "));
            }
        }

        private OldState(boolean tablePresent, String tableComment, Map<String, SetState> sets,
                           Map<String, MapState> maps, Map<String, ChainState> chains, boolean exactRules) {
            this.tablePresent = tablePresent;
            this.tableComment = tableComment;
            this.sets = Collections.unmodifiableMap(sets);
            this.maps = Collections.unmodifiableMap(maps);
            this.chains = Collections.unmodifiableMap(chains);
            this.exactRules = exactRules;
        }

        /** No table in the kernel. */
        static OldState absent() {
            return ABSENT;
        }

        /** The kernel holds exactly this ruleset, as committed by the backend. */
        static OldState committed(Ruleset ruleset) {
            Objects.requireNonNull(ruleset, "ruleset");
            Map<String, SetState> sets = new LinkedHashMap<>();
            for (NamedSet set : ruleset.sets()) {
                sets.put(set.name(), setState(set));
            }
            Map<String, MapState> maps = new LinkedHashMap<>();
            for (VerdictMap map : ruleset.maps()) {
                maps.put(map.name(), mapState(map));
            }
            Map<String, ChainState> chains = new LinkedHashMap<>();
            for (Chain chain : ruleset.chains()) {
                chains.put(chain.name(), chainState(chain));
            }
            return new OldState(true, NftText.effectiveComment(ruleset.comment()), sets, maps, chains, true);
        }

        /** The table as read back from the kernel. */
        static OldState readBack(KernelTable table) {
            Objects.requireNonNull(table, "table");
            Map<String, SetState> sets = new LinkedHashMap<>();
            for (NamedSet set : table.sets()) {
                sets.put(set.name(), setState(set));
            }
            Map<String, MapState> maps = new LinkedHashMap<>();
            for (VerdictMap map : table.maps()) {
                maps.put(map.name(), mapState(map));
            }
            Map<String, ChainState> chains = new LinkedHashMap<>();
            for (KernelChain chain : table.chains()) {
                chains.put(chain.name(), new ChainState(chain.name(), chain.hook(),
                        NftText.effectiveComment(chain.comment()), chain.rules(), Optional.empty()));
            }
            return new OldState(true, NftText.effectiveComment(table.comment()), sets, maps, chains, false);
        }

        /** The table as read back, or {@link #absent()} when the kernel has none. */
        static OldState readBack(Optional<KernelTable> table) {
            return table.map(OldState::readBack).orElse(ABSENT);
        }

        public boolean tablePresent() {
            return tablePresent;
        }

        /** The table's comment as the kernel keeps it. */
        public String tableComment() {
            return tableComment;
        }

        /** Whether rules are known as text (a committed model), not only as digests (read back). */
        public boolean exactRules() {
            return exactRules;
        }

        public int setCount() {
            return sets.size() + maps.size();
        }

        public int chainCount() {
            return chains.size();
        }

        public int elementCount() {
            return sets.values().stream().mapToInt(s -> s.elements().size()).sum()
                    + maps.values().stream().mapToInt(m -> m.elements().size()).sum();
        }

        Map<String, SetState> sets() {
            return sets;
        }

        Map<String, MapState> maps() {
            return maps;
        }

        Map<String, ChainState> chains() {
            return chains;
        }

        static SetState setState(NamedSet set) {
            Map<List<KeyPart>, SetElement> elements = new LinkedHashMap<>();
            for (SetElement e : set.elements()) {
                elements.put(e.key(), e);
            }
            return new SetState(set.name(), set.keyType(), set.interval(), NftText.effectiveComment(set.comment()), elements);
        }

        static MapState mapState(VerdictMap map) {
            Map<IpAddress, MapElement> elements = new LinkedHashMap<>();
            for (MapElement e : map.elements()) {
                elements.put(e.key(), e);
            }
            return new MapState(map.name(), map.keyType(), NftText.effectiveComment(map.comment()), elements);
        }

        static ChainState chainState(Chain chain) {
            return new ChainState(chain.name(), chain.hook(), NftText.effectiveComment(chain.comment()),
                    chain.rules().stream().map(RuleDigest::of).toList(),
                    Optional.of(chain.rules().stream().map(NftRenderer::renderRule).toList()));
        }

        /** Equal set elements: same key (the map key) and same comment as the kernel keeps it. */
        static boolean sameElement(SetElement a, SetElement b) {
            return a.key().equals(b.key()) && NftText.effectiveComment(a).equals(NftText.effectiveComment(b));
        }

        static boolean sameElement(MapElement a, MapElement b) {
            return a.key().equals(b.key()) && a.chain().equals(b.chain())
                    && NftText.effectiveComment(a.comment()).equals(NftText.effectiveComment(b.comment()));
        }

        @Override
        public String toString() {
            return tablePresent
                    ? "table with " + setCount() + " sets and maps, " + elementCount() + " elements, " + chainCount()
                            + " chains" + (exactRules ? "" : " (read back)")
                    : "no table";
        }
    }

    private static void deleteAddresses(Transaction tx, String map, List<IpAddress> keys) {
        keys.forEach(k -> tx.delete(NftObject.Element.key(map, List.of(new KeyPart.Addresses(
                io.nftpolicy.net.IpRange.single(k))))));
    }
}
