package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelChain;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.kernel.RuleDigest;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What is in the kernel, as far as the backend knows: nothing (no table), the last {@link Ruleset} it committed,
 * or the table as read back ({@link KernelTable}).
 *
 * <p>Sets and maps are exact in every case: declaration, and per element its key and its comment as the kernel
 * keeps it. Chains are their name, hook, comment and, per rule, a {@link RuleDigest}; a committed ruleset also
 * knows each rule's exact text. Two chains are equal when hook and comment agree and, if both sides know the rule
 * texts, the texts agree, otherwise the digests do. A digest covers comment, referenced sets, verdict and inline
 * literals (port sets), all that the compiler varies; a read-back state cannot see a hand edit that leaves all of
 * them alone (a match on saddr turned into daddr, say): see
 * {@link RulesetApplier.Options#rewriteChainsAfterReadBack()}.
 *
 * <p>Immutable.
 */
public final class TableState {
    private static final TableState ABSENT = new TableState(false, "", Map.of(), Map.of(), Map.of(), true);

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

    private TableState(boolean tablePresent, String tableComment, Map<String, SetState> sets,
                       Map<String, MapState> maps, Map<String, ChainState> chains, boolean exactRules) {
        this.tablePresent = tablePresent;
        this.tableComment = tableComment;
        this.sets = Collections.unmodifiableMap(sets);
        this.maps = Collections.unmodifiableMap(maps);
        this.chains = Collections.unmodifiableMap(chains);
        this.exactRules = exactRules;
    }

    /** No table in the kernel. */
    public static TableState absent() {
        return ABSENT;
    }

    /** The kernel holds exactly this ruleset, as committed by the backend. */
    public static TableState committed(Ruleset ruleset) {
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
        return new TableState(true, NftText.effectiveComment(ruleset.comment()), sets, maps, chains, true);
    }

    /** The table as read back from the kernel. */
    public static TableState readBack(KernelTable table) {
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
        return new TableState(true, NftText.effectiveComment(table.comment()), sets, maps, chains, false);
    }

    /** The table as read back, or {@link #absent()} when the kernel has none. */
    public static TableState readBack(Optional<KernelTable> table) {
        return table.map(TableState::readBack).orElse(ABSENT);
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
