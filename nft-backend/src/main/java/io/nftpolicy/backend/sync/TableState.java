package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.ForeignObject;
import io.nftpolicy.backend.kernel.KernelChain;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.kernel.RuleDigest;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.net.IpRange;
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
import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.stream.Collectors;

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
 * <p>Cost. A state committed from a model keeps the model's sets, maps and chains, and computes what it derives
 * from them (the element index by key, each element's effective comment, rule texts and digests) only when first
 * asked, once. {@link #committed(Ruleset, TableState)} takes over from the previous state every set, map and chain
 * whose model value is equal (a chain: same hook, comment, rule statements and rule comments), in one equality pass
 * without rendering, so that an incremental diff ({@link RulesetDiff}) recognises them by identity and the work of
 * an apply follows what changed, not what exists.
 *
 * <p>Immutable (the values computed on first use are computed the same by any thread).
 */
public final class TableState {
    private static final TableState ABSENT = new TableState(false, "", Map.of(), Map.of(), true, List.of(), List.of());

    private final boolean tablePresent;
    private final String tableComment;
    /** Sets, then maps: nft gives both one name space. */
    private final Map<String, ContainerState> containers;
    private final Map<String, ChainState> chains;
    private final boolean exactRules;
    private final List<String> flags;
    private final List<ForeignObject> foreign;

    /**
     * A set or verdict map of a model, as what both are to the backend: an element container, a declaration and
     * elements (the model's {@link SetElement}s or {@link MapElement}s).
     */
    record Container(NftObject.Declared declaration, List<?> elements, Object model) {
        static Container of(NamedSet set) {
            return new Container(NftObject.Set.of(set), set.elements(), set);
        }

        static Container of(VerdictMap map) {
            return new Container(NftObject.Map.of(map), map.elements(), map);
        }

        /** The sets of {@code ruleset}, then its maps. */
        static List<Container> of(Ruleset ruleset) {
            List<Container> out = new ArrayList<>(ruleset.sets().size() + ruleset.maps().size());
            ruleset.sets().forEach(s -> out.add(of(s)));
            ruleset.maps().forEach(m -> out.add(of(m)));
            return out;
        }

        String name() {
            return declaration.name();
        }
    }

    /**
     * An element of a set or map, keyed as the kernel keys it, with its comment as the kernel keeps it (computed on
     * first use) and, in a map, the chain it jumps to.
     */
    static final class Entry {
        private final Object element;
        private final List<KeyPart> key;
        private final Optional<String> jump;
        /** Racy single-check: any thread computes the same immutable String. */
        private String effectiveComment;

        private Entry(Object element, List<KeyPart> key, Optional<String> jump) {
            this.element = element;
            this.key = key;
            this.jump = jump;
        }

        /** The entry of a model's {@link SetElement} or {@link MapElement}. */
        static Entry of(Object element) {
            if (element instanceof SetElement e) {
                return new Entry(e, e.key(), Optional.empty());
            }
            MapElement e = (MapElement) element;
            return new Entry(e, key(e), Optional.of(e.chain()));
        }

        /** A map element's key: its one address. */
        static List<KeyPart> key(MapElement element) {
            return List.of(new KeyPart.Addresses(IpRange.single(element.key())));
        }

        List<KeyPart> key() {
            return key;
        }

        /** The model's element (or as read back). */
        Object element() {
            return element;
        }

        Optional<String> jump() {
            return jump;
        }

        String effectiveComment() {
            String c = effectiveComment;
            if (c == null) {
                c = element instanceof SetElement e ? NftText.effectiveComment(e)
                        : NftText.effectiveComment(((MapElement) element).comment());
                effectiveComment = c;
            }
            return c;
        }

        /**
         * Whether the kernel sees the two as the same element: same key, same jump, same effective comment. Equal
         * elements are, without rendering their comments.
         */
        boolean sameAs(Entry o) {
            return this == o || element.equals(o.element)
                    || key.equals(o.key) && jump.equals(o.jump) && effectiveComment().equals(o.effectiveComment());
        }

        /** The element to add to {@code container}. */
        NftObject.Element toElement(String container) {
            return element instanceof SetElement e ? NftObject.Element.of(container, e)
                    : NftObject.Element.of(container, (MapElement) element);
        }

        String keyText() {
            return key.stream().map(KeyPart::toNft).collect(Collectors.joining(" . "));
        }

        /** {@code key comment "..." : jump chain}, with the comment the kernel keeps. */
        String describe() {
            String comment = effectiveComment();
            return keyText() + (comment.isEmpty() ? "" : " comment \"" + comment + "\"") + jump.map(c -> " : jump " + c)
                    .orElse("");
        }
    }

    /**
     * A set or verdict map: declaration, and its elements by key.
     *
     * <p>One committed after a previous state of the same name remembers how its element list compares with that
     * one's ({@link Trim}): equal up to an index and from another on. With both lists in strictly ascending key
     * order (so each key once, as the compiler writes them), the elements that differ lie between the two, and
     * {@link RulesetDiff} compares only those.
     */
    static final class ContainerState {
        private final String name;
        /** The declaration with the comment as the kernel keeps it. */
        private final NftObject declaration;
        private final List<?> elementList;
        /** The model's set or map this state was committed from; null when read back. */
        private final Container source;
        /** How the element list compares with the previous state's; null when there was none. */
        private final Trim trim;
        private volatile Map<List<KeyPart>, Entry> elements;
        /** 0: not known yet; 1: keys strictly ascending, so unique; 2: not. Racy single-check of a primitive. */
        private int ascending;

        /**
         * The element lists of {@code basis} and of this state are equal (element by element) in their first
         * {@code prefix} and in their last {@code suffix} elements, which do not overlap on either side. The basis
         * is only needed while the diff from it is computed, and is not kept alive by this state.
         */
        record Trim(WeakReference<ContainerState> basis, int prefix, int suffix) {}

        /** A set or map read back from the kernel. */
        static ContainerState readBack(Container c) {
            return new ContainerState(c, false, null);
        }

        /** A set or map as the backend commits it from the model, on its own. */
        static ContainerState committed(Container c) {
            return new ContainerState(c, true, null);
        }

        private ContainerState(Container c, boolean committed, Trim trim) {
            this.name = c.name();
            this.declaration = c.declaration() instanceof NftObject.Set s
                    ? s.withComment(NftText.effectiveComment(s.comment()))
                    : withEffectiveComment((NftObject.Map) c.declaration());
            this.elementList = c.elements();
            this.source = committed ? c : null;
            this.trim = trim;
        }

        private static NftObject.Map withEffectiveComment(NftObject.Map m) {
            return new NftObject.Map(m.name(), m.keyType(), NftText.effectiveComment(m.comment()));
        }

        /**
         * The state of {@code c} committed after {@code previous} (committed from a model too): {@code previous}
         * itself when it was committed from an equal set or map, else a new state that knows how the two element
         * lists compare. One pass over the elements, comparing them by {@code equals}.
         */
        static ContainerState following(ContainerState previous, Container c) {
            Container before = previous.source;
            if (before.model() == c.model()) {
                return previous;
            }
            List<?> a = before.elements();
            List<?> b = c.elements();
            int n = a.size();
            int m = b.size();
            int limit = Math.min(n, m);
            int prefix = 0;
            while (prefix < limit && same(a.get(prefix), b.get(prefix))) {
                prefix++;
            }
            if (prefix == n && n == m && before.declaration().equals(c.declaration())) {
                return previous;
            }
            int suffix = 0;
            while (suffix < limit - prefix && same(a.get(n - 1 - suffix), b.get(m - 1 - suffix))) {
                suffix++;
            }
            return new ContainerState(c, true, new Trim(new WeakReference<>(previous), prefix, suffix));
        }

        private static boolean same(Object x, Object y) {
            return x == y || x.equals(y);
        }

        String name() {
            return name;
        }

        boolean isMap() {
            return declaration instanceof NftObject.Map;
        }

        /** The set or map by name, to delete or flush it. */
        NftObject named() {
            return isMap() ? NftObject.Map.named(name) : NftObject.Set.named(name);
        }

        /** The elements in the model's order (the read-back table's for a read-back state). */
        List<?> elementList() {
            return elementList;
        }

        /** How the elements compare with the previous state's, or null. */
        Trim trim() {
            return trim;
        }

        /** Its elements by key (for equal keys, the last one). */
        Map<List<KeyPart>, Entry> elements() {
            Map<List<KeyPart>, Entry> e = elements;
            if (e == null) {
                Map<List<KeyPart>, Entry> built = new LinkedHashMap<>();
                for (Object element : elementList) {
                    Entry entry = Entry.of(element);
                    built.put(entry.key(), entry);
                }
                e = Collections.unmodifiableMap(built);
                elements = e;
            }
            return e;
        }

        /** Whether no key is there twice (known without hashing when the keys are in ascending order). */
        boolean uniqueKeys() {
            return ascending() || elements().size() == elementList.size();
        }

        /** Whether the elements are in strictly ascending key order, so that no key is there twice. */
        boolean ascending() {
            int a = ascending;
            if (a == 0) {
                a = computeAscending() ? 1 : 2;
                ascending = a;
            }
            return a == 1;
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        private boolean computeAscending() {
            int m = elementList.size();
            int from = 1;
            int to = m - 1;
            Trim t = trim;
            ContainerState basis = t == null ? null : t.basis().get();
            if (basis != null && basis.ascending()) {
                // The first prefix and the last suffix elements are the basis's own, in ascending order already.
                from = Math.max(1, t.prefix());
                to = Math.min(m - 1, m - t.suffix());
            }
            for (int i = from; i <= to; i++) {
                if (((Comparable) elementList.get(i - 1)).compareTo(elementList.get(i)) >= 0) {
                    return false;
                }
            }
            return true;
        }

        boolean sameDeclaration(ContainerState o) {
            return declaration.equals(o.declaration);
        }

        String declaration() {
            if (declaration instanceof NftObject.Map m) {
                return "type " + m.keyType().nftName() + " : verdict"
                        + (m.comment().isEmpty() ? "" : ", comment \"" + m.comment() + "\"");
            }
            NftObject.Set s = (NftObject.Set) declaration;
            return "type " + String.join(" . ", s.keyType().stream().map(KeyType::nftName).toList())
                    + (s.interval() ? ", flags interval" : "") + (s.counter() ? ", counter" : "") + (s.comment().isEmpty() ? "" : ", comment \""
                    + s.comment() + "\"");
        }
    }

    /**
     * A chain: name, hook, comment, a digest per rule, and the exact rules when known (a committed model; read
     * back: digests only). A committed chain renders its rules and computes their digests on first use.
     */
    static final class ChainState {
        private final String name;
        private final Optional<BaseHook> hook;
        private final String comment;
        /** The model's chain this state was committed from; null when read back. */
        private final Chain source;
        private volatile List<RuleDigest> digests;
        private volatile Optional<List<String>> rules;
        /** Each rule's expression as the kernel lists it, "" where unknown; from these when committed. */
        private final Map<String, String> expressionsByStatement;
        private volatile List<String> expressions;

        private ChainState(Chain chain, Map<String, String> expressionsByStatement) {
            this.name = chain.name();
            this.hook = chain.hook();
            this.comment = NftText.effectiveComment(chain.comment());
            this.source = chain;
            this.expressionsByStatement = expressionsByStatement;
        }

        private ChainState(KernelChain chain) {
            this.name = chain.name();
            this.hook = chain.hook();
            this.comment = NftText.effectiveComment(chain.comment());
            this.source = null;
            this.digests = chain.rules();
            this.rules = Optional.empty();
            this.expressionsByStatement = Map.of();
            this.expressions = chain.expressions().isEmpty()
                    ? Collections.nCopies(chain.rules().size(), "") : chain.expressions();
        }

        String name() {
            return name;
        }

        Optional<BaseHook> hook() {
            return hook;
        }

        String comment() {
            return comment;
        }

        List<RuleDigest> digests() {
            List<RuleDigest> d = digests;
            if (d == null) {
                d = source.rules().stream().map(RuleDigest::of).toList();
                digests = d;
            }
            return d;
        }

        /** Each rule's {@link io.nftpolicy.backend.kernel.RuleExpression}, "" where not known. */
        List<String> expressions() {
            List<String> e = expressions;
            if (e == null) {
                e = source.rules().stream().map(r -> expressionsByStatement.getOrDefault(r.statement().trim(), ""))
                        .toList();
                expressions = e;
            }
            return e;
        }

        /** Whether rule {@code i} of each has the same expression, or either does not know its own. */
        boolean sameExpression(ChainState o, int i) {
            String a = expressions().get(i);
            String b = o.expressions().get(i);
            return a.isEmpty() || b.isEmpty() || a.equals(b);
        }

        /** Whether one of its rules names {@code object} anywhere: looks it up, jumps to it, counts with it. */
        boolean mentions(String object) {
            String quoted = "\"" + object + "\"";
            String at = "\"@" + object + "\"";
            List<RuleDigest> d = digests();
            for (int i = 0; i < d.size(); i++) {
                String e = expressions().get(i);
                if (d.get(i).sets().contains(object) || d.get(i).verdict().endsWith(" " + object)
                        || e.contains(quoted) || e.contains(at)) {
                    return true;
                }
            }
            return false;
        }

        /** The exact rules when known (a committed model), else empty (read back: digests only). */
        Optional<List<String>> rules() {
            Optional<List<String>> r = rules;
            if (r == null) {
                r = Optional.of(source.rules().stream().map(NftRenderer::renderRule).toList());
                rules = r;
            }
            return r;
        }

        /**
         * Whether this state, committed from a model's chain, is what {@code chain} gives: same hook and comment, and
         * rules of the same statements and comments (what their text and digests are made of; which policies a rule
         * stands for does not reach the kernel).
         */
        boolean describes(Chain chain) {
            if (source == null) {
                return false;
            }
            if (source == chain) {
                return true;
            }
            if (!source.hook().equals(chain.hook()) || !source.comment().equals(chain.comment())) {
                return false;
            }
            List<Rule> a = source.rules();
            List<Rule> b = chain.rules();
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                Rule x = a.get(i);
                Rule y = b.get(i);
                if (x != y && !(x.statement().equals(y.statement()) && x.comment().equals(y.comment()))) {
                    return false;
                }
            }
            return true;
        }

        boolean sameDeclaration(ChainState o) {
            return hook.equals(o.hook) && comment.equals(o.comment);
        }

        boolean sameRules(ChainState o) {
            if (this == o) {
                return true;
            }
            if (source != null && o.source != null) {
                // Equal rules render the same; otherwise compare what the kernel would get.
                return source.rules().equals(o.source.rules()) || rules().get().equals(o.rules().get());
            }
            if (!digests().equals(o.digests())) {
                return false;
            }
            for (int i = 0; i < digests().size(); i++) {
                if (!sameExpression(o, i)) {
                    return false;
                }
            }
            return true;
        }

        /** Whether one of its rules looks up this set or map. */
        boolean uses(String setOrMap) {
            return digests().stream().anyMatch(d -> d.sets().contains(setOrMap));
        }

        boolean jumps() {
            return digests().stream().anyMatch(d -> d.verdict().startsWith("jump ") || d.verdict().startsWith("goto "));
        }
    }

    private TableState(boolean tablePresent, String tableComment, Map<String, ContainerState> containers,
                       Map<String, ChainState> chains, boolean exactRules, List<String> flags,
                       List<ForeignObject> foreign) {
        this.tablePresent = tablePresent;
        this.tableComment = tableComment;
        this.containers = Collections.unmodifiableMap(containers);
        this.chains = Collections.unmodifiableMap(chains);
        this.exactRules = exactRules;
        this.flags = List.copyOf(flags);
        this.foreign = List.copyOf(foreign);
    }

    /** No table in the kernel. */
    public static TableState absent() {
        return ABSENT;
    }

    /** The kernel holds exactly this ruleset, as committed by the backend. */
    public static TableState committed(Ruleset ruleset) {
        return committed(ruleset, null);
    }

    /**
     * As {@link #committed(Ruleset)}, taking over from {@code previous} (may be null) every set, map and chain
     * committed from an equal model value: the result is the same, and a diff from {@code previous} sees those as
     * the very same objects.
     */
    static TableState committed(Ruleset ruleset, TableState previous) {
        return committed(ruleset, previous, Map.of());
    }

    /**
     * As {@link #committed(Ruleset, TableState)}, knowing how the kernel lists each rule: {@code expressions} maps a
     * rule's statement to its {@link io.nftpolicy.backend.kernel.RuleExpression} (a statement it lacks is unknown,
     * and compared by digest only). Only a comparison with a table read back needs them.
     */
    static TableState committed(Ruleset ruleset, TableState previous, Map<String, String> expressions) {
        Objects.requireNonNull(ruleset, "ruleset");
        TableState from = previous == null ? ABSENT : previous;
        Map<String, ContainerState> containers = new LinkedHashMap<>();
        for (Container c : Container.of(ruleset)) {
            ContainerState p = from.containers.get(c.name());
            containers.put(c.name(), p != null && p.source != null && p.isMap() == c.declaration() instanceof NftObject.Map
                    ? ContainerState.following(p, c) : ContainerState.committed(c));
        }
        Map<String, ChainState> chains = new LinkedHashMap<>();
        for (Chain chain : ruleset.chains()) {
            ChainState p = from.chains.get(chain.name());
            chains.put(chain.name(), p != null && p.describes(chain) && (expressions.isEmpty()
                    || p.expressionsByStatement == expressions) ? p : new ChainState(chain, expressions));
        }
        return new TableState(true, NftText.effectiveComment(ruleset.comment()), containers, chains, true, List.of(),
                List.of());
    }

    /** The table as read back from the kernel. */
    public static TableState readBack(KernelTable table) {
        Objects.requireNonNull(table, "table");
        Map<String, ContainerState> containers = new LinkedHashMap<>();
        table.sets().forEach(s -> containers.put(s.name(), ContainerState.readBack(Container.of(s))));
        table.maps().forEach(m -> containers.put(m.name(), ContainerState.readBack(Container.of(m))));
        Map<String, ChainState> chains = new LinkedHashMap<>();
        for (KernelChain chain : table.chains()) {
            chains.put(chain.name(), new ChainState(chain));
        }
        return new TableState(true, NftText.effectiveComment(table.comment()), containers, chains, false,
                table.flags(), table.foreign());
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

    /** The table's flags ({@code dormant}); none in a committed state. */
    public List<String> flags() {
        return flags;
    }

    /** What the table holds that nftpolicy never writes (read back only). */
    public List<ForeignObject> foreign() {
        return foreign;
    }

    /** Whether rules are known as text (a committed model), not only as digests (read back). */
    public boolean exactRules() {
        return exactRules;
    }

    /**
     * The ruleset generation the table stamps flows with ({@link EstablishedFlows}); empty when the table is absent
     * or keeps established flows.
     */
    public OptionalInt generation() {
        ContainerState set = containers.get(EstablishedFlows.GENERATION_SET);
        if (set == null || set.isMap()) {
            return OptionalInt.empty();
        }
        @SuppressWarnings("unchecked")
        List<SetElement> elements = (List<SetElement>) set.elementList;
        return EstablishedFlows.generationOf(elements);
    }

    public int setCount() {
        return containers.size();
    }

    public int chainCount() {
        return chains.size();
    }

    public int elementCount() {
        return containers.values().stream().mapToInt(c -> c.elements().size()).sum();
    }

    /** Sets and maps by name. */
    Map<String, ContainerState> containers() {
        return containers;
    }

    Map<String, ChainState> chains() {
        return chains;
    }

    @Override
    public String toString() {
        return tablePresent
                ? "table with " + setCount() + " sets and maps, " + elementCount() + " elements, " + chainCount()
                        + " chains" + (exactRules ? "" : " (read back)")
                : "no table";
    }
}
