package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelChain;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.kernel.RuleDigest;
import io.nftpolicy.backend.sync.NftObject.Element;
import io.nftpolicy.backend.sync.NftObject.Verb;
import io.nftpolicy.backend.sync.Transaction.Operation;
import io.nftpolicy.net.IpFamily;
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
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's {@code inet nftpolicy} table in memory, as knftables' {@code Fake}: it applies each
 * {@link Transaction} to its table as one transaction, all or nothing, refusing what the kernel refuses (verified on
 * kernel 6.18 with nft 1.0.6):
 * <ul>
 *   <li>anything on a table, set, map or chain that does not exist; a rule looking up a missing set or map, or
 *       jumping to a missing chain;</li>
 *   <li>{@code create} of anything that exists; {@code add} of a set, map or chain over an existing one with
 *       another type, flags or hook ("File exists"; a different comment is silently ignored, as by the kernel);</li>
 *   <li>an element added to a map under an existing key with another verdict; an interval overlapping one already
 *       in the set; a deleted element that is not there; a key that does not fit the set's type, or a prefix or
 *       range in a set without flags interval;</li>
 *   <li>deleting a chain that a map element or a rule still jumps to, or a set or map a rule still looks up
 *       ("Device or resource busy").</li>
 * </ul>
 * Errors read as nft's: {@code Error: ...}, the command, carets. It keeps every transaction it was given
 * ({@link #lastTransaction()}), can make the next one fail, reads back as {@link KernelTable}, and prints its table
 * as nft would ({@link #dump()}).
 *
 * <p>Not thread-safe: one thread at a time, as libnftables.
 */
public final class FakeNft implements NftExecutor {
    private static final Pattern JUMP = Pattern.compile("\\b(?:jump|goto) ([A-Za-z0-9_.\\-]+)");

    private Table table;
    private final List<Transaction> transactions = new ArrayList<>();
    private String failNext;
    private int readBacks;

    /**
     * A set or verdict map: its declaration and its elements by key, comments as the kernel keeps them; an interval
     * set of one field also keeps its keys in order, so that an overlap is found among two neighbours.
     */
    private record Container(NftObject declaration, Map<List<KeyPart>, Element> elements,
                             TreeMap<List<KeyPart>, Element> ordered) {
        static Container declared(NftObject declaration) {
            boolean oneFieldIntervals = declaration instanceof NftObject.Set s && s.interval() && s.keyType().size() == 1;
            return new Container(declaration, new LinkedHashMap<>(),
                    oneFieldIntervals ? new TreeMap<>(Comparator.comparing((List<KeyPart> k) -> k.get(0))) : null);
        }

        Container copy() {
            return new Container(declaration, new LinkedHashMap<>(elements), ordered == null ? null : new TreeMap<>(ordered));
        }

        void put(Element e) {
            elements.put(e.key(), e);
            if (ordered != null) {
                ordered.put(e.key(), e);
            }
        }

        Element remove(List<KeyPart> key) {
            if (ordered != null) {
                ordered.remove(key);
            }
            return elements.remove(key);
        }

        void clear() {
            elements.clear();
            if (ordered != null) {
                ordered.clear();
            }
        }

        /** Whether {@code key} overlaps an element held (whose intervals are disjoint). */
        boolean overlaps(List<KeyPart> key) {
            if (ordered == null) {
                return elements.keySet().stream().anyMatch(other -> FakeNft.overlaps(key, other));
            }
            List<KeyPart> below = ordered.floorKey(key);
            List<KeyPart> above = ordered.ceilingKey(key);
            return below != null && FakeNft.overlaps(key, below) || above != null && FakeNft.overlaps(key, above);
        }

        boolean isMap() {
            return declaration instanceof NftObject.Map;
        }

        List<KeyType> keyType() {
            return declaration instanceof NftObject.Set s ? s.keyType() : List.of(((NftObject.Map) declaration).keyType());
        }

        boolean interval() {
            return declaration instanceof NftObject.Set s && s.interval();
        }
    }

    private record FakeChain(NftObject.Chain declaration, List<Rule> rules) {}

    private static final class Table {
        String comment = "";
        final Map<String, Container> containers = new LinkedHashMap<>();
        final Map<String, FakeChain> chains = new LinkedHashMap<>();

        Table copy() {
            Table t = new Table();
            t.comment = comment;
            containers.forEach((k, v) -> t.containers.put(k, v.copy()));
            chains.forEach((k, v) -> t.chains.put(k, new FakeChain(v.declaration, new ArrayList<>(v.rules))));
            return t;
        }
    }

    private static final class Refused extends Exception {
        Refused(String message) {
            super("Could not process rule: " + message);
        }
    }

    @Override
    public String run(Transaction transaction) throws ApplyException {
        transactions.add(transaction);
        if (failNext != null) {
            String error = failNext;
            failNext = null;
            throw ApplyException.refused("nft", transaction.render(), error);
        }
        Table work = table == null ? null : table.copy();
        List<Operation> ops = transaction.steps();
        for (int i = 0; i < ops.size(); i++) {
            try {
                work = apply(work, ops.get(i));
            } catch (Refused e) {
                String command = TransactionText.commandOf(transaction, i);
                throw ApplyException.refused("nft", transaction.render(), "Error: " + e.getMessage() + "\n"
                        + command + "\n" + "^".repeat(Math.min(command.length(), 20)) + "\n");
            }
        }
        table = work;
        return "";
    }

    @Override
    public Optional<KernelTable> readBack() {
        readBacks++;
        return ruleset().map(r -> new KernelTable(r.comment(), r.sets(), r.maps(), r.chains().stream()
                .map(c -> new KernelChain(c.name(), c.hook(), c.comment(), c.rules().stream().map(RuleDigest::of)
                        .toList()))
                .toList()));
    }

    /** Makes the next {@link #run} fail as nft would with this error text, applying nothing. */
    public void failNextRun(String errorText) {
        this.failNext = errorText;
    }

    /** Every transaction run, refused ones included, in order. */
    public List<Transaction> transactions() {
        return List.copyOf(transactions);
    }

    /** The last transaction run (refused or not). */
    public Transaction lastTransaction() {
        if (transactions.isEmpty()) {
            throw new IllegalStateException("no transaction was run");
        }
        return transactions.get(transactions.size() - 1);
    }

    /** How many times the table was read back. */
    public int readBacks() {
        return readBacks;
    }

    public boolean hasTable() {
        return table != null;
    }

    /** The table as {@code nft list table} would print it (in name order); empty when there is none. */
    public String dump() {
        return ruleset().map(NftRenderer::render).orElse("");
    }

    /**
     * The table as a ruleset, with what the kernel keeps: comments as stored, no provenance; objects in name order,
     * elements in key order, rules in chain order. Compare with {@link #normalized(Ruleset)}.
     */
    public Optional<Ruleset> ruleset() {
        if (table == null) {
            return Optional.empty();
        }
        List<NamedSet> sets = new ArrayList<>();
        List<VerdictMap> maps = new ArrayList<>();
        table.containers.values().forEach(c -> {
            if (c.declaration instanceof NftObject.Set s) {
                sets.add(new NamedSet(s.name(), s.keyType(), s.interval(), s.comment(), c.elements.values().stream()
                        .map(e -> new SetElement(e.key(), List.of(), e.comment())).sorted().toList(), s.counter()));
            } else if (c.declaration instanceof NftObject.Map m) {
                maps.add(new VerdictMap(m.name(), m.keyType(), m.comment(), c.elements.values().stream()
                        .map(e -> new MapElement(((KeyPart.Addresses) e.key().get(0)).range().first(),
                                e.jump().orElseThrow(), e.comment())).sorted().toList()));
            }
        });
        sets.sort(Comparator.comparing(NamedSet::name));
        maps.sort(Comparator.comparing(VerdictMap::name));
        List<Chain> chains = table.chains.values().stream()
                .map(c -> new Chain(c.declaration.name(), c.declaration.hook(), c.declaration.comment(), c.rules))
                .sorted(Comparator.comparing(Chain::name)).toList();
        return Optional.of(new Ruleset(Ruleset.FAMILY, Ruleset.TABLE, table.comment, sets, maps, chains));
    }

    /** A model as this fake holds it once applied: comparable with {@link #ruleset()}. */
    public static Ruleset normalized(Ruleset model) {
        List<NamedSet> sets = model.sets().stream()
                .map(s -> new NamedSet(s.name(), s.keyType(), s.interval(), NftText.effectiveComment(s.comment()),
                        s.elements().stream().map(e -> new SetElement(e.key(), List.of(), NftText.effectiveComment(e)))
                                .sorted().toList(), s.counter()))
                .sorted(Comparator.comparing(NamedSet::name)).toList();
        List<VerdictMap> maps = model.maps().stream()
                .map(m -> new VerdictMap(m.name(), m.keyType(), NftText.effectiveComment(m.comment()),
                        m.elements().stream().map(e -> new MapElement(e.key(), e.chain(),
                                NftText.effectiveComment(e.comment()))).sorted().toList()))
                .sorted(Comparator.comparing(VerdictMap::name)).toList();
        List<Chain> chains = model.chains().stream()
                .map(c -> new Chain(c.name(), c.hook(), NftText.effectiveComment(c.comment()),
                        c.rules().stream().map(r -> Rule.of(r.statement(), NftText.effectiveComment(r.comment())))
                                .toList()))
                .sorted(Comparator.comparing(Chain::name)).toList();
        return new Ruleset(model.family(), model.table(), NftText.effectiveComment(model.comment()), sets, maps, chains);
    }

    /** Applies one operation to {@code t} (null: no table yet); returns the table after it. */
    private static Table apply(Table t, Operation op) throws Refused {
        Verb verb = op.verb();
        NftObject o = op.object();
        if (o instanceof NftObject.Table declared) {
            if (t != null && verb == Verb.CREATE) {
                throw new Refused("File exists");
            }
            if (t == null) {
                t = new Table();
                t.comment = NftText.effectiveComment(declared.comment());
            }
            return t;
        }
        if (t == null) {
            throw new Refused("No such file or directory (no table " + Ruleset.FAMILY + " " + Ruleset.TABLE + ")");
        }
        if (o instanceof NftObject.Set || o instanceof NftObject.Map) {
            container(t, verb, o);
        } else if (o instanceof Element e) {
            element(t, verb, e);
        } else if (o instanceof NftObject.Chain c) {
            chain(t, verb, c);
        } else if (o instanceof NftObject.Rule r) {
            rule(t, verb, r);
        } else {
            throw new Refused("No such file or directory (the fake holds no " + o.kind() + ")");
        }
        return t;
    }

    private static void container(Table t, Verb verb, NftObject declared) throws Refused {
        String name = ((NftObject.Declared) declared).name();
        Container old = t.containers.get(name);
        switch (verb) {
            case ADD, CREATE -> {
                if (old != null && (verb == Verb.CREATE || !sameDeclaration(old.declaration, declared))) {
                    throw new Refused("File exists");
                }
                if (old == null) {
                    t.containers.put(name, Container.declared(withEffectiveComment(declared)));
                }
            }
            case FLUSH -> existing(t, name, declared.kind()).clear();
            case DELETE -> {
                if (old == null || old.isMap() != declared instanceof NftObject.Map) {
                    throw new Refused("No such file or directory");
                }
                for (FakeChain c : t.chains.values()) {
                    for (Rule r : c.rules) {
                        if (RuleDigest.of(r).sets().contains(name)) {
                            throw new Refused("Device or resource busy");
                        }
                    }
                }
                t.containers.remove(name);
            }
            default -> throw new IllegalStateException(verb + " " + declared);
        }
    }

    /** Same type and flags; the comment does not count (the kernel ignores another one). */
    private static boolean sameDeclaration(NftObject a, NftObject b) {
        if (a instanceof NftObject.Set x && b instanceof NftObject.Set y) {
            return x.keyType().equals(y.keyType()) && x.interval() == y.interval() && x.counter() == y.counter();
        }
        return a instanceof NftObject.Map x && b instanceof NftObject.Map y && x.keyType() == y.keyType();
    }

    private static NftObject withEffectiveComment(NftObject declared) {
        if (declared instanceof NftObject.Set s) {
            return s.withComment(NftText.effectiveComment(s.comment()));
        }
        NftObject.Map m = (NftObject.Map) declared;
        return new NftObject.Map(m.name(), m.keyType(), NftText.effectiveComment(m.comment()));
    }

    private static Container existing(Table t, String name, String kind) throws Refused {
        Container c = t.containers.get(name);
        if (c == null || c.isMap() != kind.equals("map")) {
            throw new Refused("No such file or directory (no " + kind + " " + name + ")");
        }
        return c;
    }

    private static void element(Table t, Verb verb, Element e) throws Refused {
        Container c = t.containers.get(e.container());
        if (c == null) {
            throw new Refused("No such file or directory (no set " + e.container() + ")");
        }
        checkKey(c, e.key());
        if (verb == Verb.DELETE) {
            if (c.remove(e.key()) == null) {
                throw new Refused("No such file or directory (element does not exist)");
            }
            return;
        }
        if (c.isMap() != e.jump().isPresent()) {
            throw new Refused("syntax error: " + (c.isMap() ? "a map element needs a verdict"
                    : "a set element has no verdict"));
        }
        if (e.jump().isPresent()) {
            chain(t, e.jump().get());
        }
        Element old = c.elements.get(e.key());
        if (old != null) {
            if (verb == Verb.CREATE || !old.jump().equals(e.jump())) {
                throw new Refused("File exists");
            }
            return; // the kernel keeps the element it has, comment included
        }
        if (c.interval() && c.overlaps(e.key())) {
            throw new Refused("interval overlaps with an existing one");
        }
        c.put(new Element(e.container(), e.key(), NftText.effectiveComment(e.comment()), e.jump()));
    }

    /** A key that fits the set's type: one part per field, of its kind and family; an interval only in an interval set. */
    private static void checkKey(Container c, List<KeyPart> key) throws Refused {
        List<KeyType> type = c.keyType();
        if (key.size() != type.size()) {
            throw new Refused("datatype mismatch: " + key.size() + " key parts for type " + type);
        }
        for (int i = 0; i < key.size(); i++) {
            KeyPart part = key.get(i);
            KeyType want = type.get(i);
            boolean fits = switch (want) {
                case IPV4_ADDR -> part instanceof KeyPart.Addresses a && a.range().family() == IpFamily.IPV4;
                case IPV6_ADDR -> part instanceof KeyPart.Addresses a && a.range().family() == IpFamily.IPV6;
                case INET_PROTO -> part instanceof KeyPart.Proto;
                case INET_SERVICE -> part instanceof KeyPart.Ports;
                case MARK -> part instanceof KeyPart.Mark;
            };
            if (!fits) {
                throw new Refused("datatype mismatch: " + part.toNft() + " is not a " + want.nftName());
            }
            boolean range = part instanceof KeyPart.Addresses a && !a.range().first().equals(a.range().last())
                    || part instanceof KeyPart.Ports p && p.first() != p.last();
            if (range && !c.interval()) {
                throw new Refused("you must add 'flags interval' to your set declaration for " + part.toNft());
            }
        }
    }

    private static void chain(Table t, Verb verb, NftObject.Chain c) throws Refused {
        FakeChain old = t.chains.get(c.name());
        switch (verb) {
            case ADD, CREATE -> {
                if (old != null && (verb == Verb.CREATE || c.hook().isPresent() && !c.hook().equals(old.declaration.hook()))) {
                    throw new Refused("File exists");
                }
                if (old == null) {
                    t.chains.put(c.name(), new FakeChain(new NftObject.Chain(c.name(), c.hook(),
                            NftText.effectiveComment(c.comment())), new ArrayList<>()));
                }
            }
            case FLUSH -> chain(t, c.name()).rules.clear();
            case DELETE -> {
                chain(t, c.name());
                boolean jumpedTo = t.containers.values().stream()
                        .anyMatch(m -> m.elements.values().stream().anyMatch(e -> e.jump().equals(Optional.of(c.name()))))
                        || t.chains.values().stream().filter(other -> !other.declaration.name().equals(c.name()))
                        .anyMatch(other -> other.rules.stream().anyMatch(r -> jumps(r).contains(c.name())));
                if (jumpedTo) {
                    throw new Refused("Device or resource busy");
                }
                t.chains.remove(c.name());
            }
            default -> throw new IllegalStateException(verb + " " + c);
        }
    }

    private static void rule(Table t, Verb verb, NftObject.Rule r) throws Refused {
        FakeChain chain = chain(t, r.chain());
        Rule rule = Rule.of(r.rule().statement(), NftText.effectiveComment(r.rule().comment()));
        for (String set : RuleDigest.of(rule).sets()) {
            if (!t.containers.containsKey(set)) {
                throw new Refused("No such file or directory (no set " + set + ")");
            }
        }
        for (String target : jumps(rule)) {
            chain(t, target);
        }
        if (verb == Verb.INSERT) {
            chain.rules.add(0, rule);
        } else {
            chain.rules.add(rule);
        }
    }

    private static List<String> jumps(Rule rule) {
        List<String> out = new ArrayList<>();
        Matcher m = JUMP.matcher(rule.statement());
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static FakeChain chain(Table t, String name) throws Refused {
        FakeChain chain = t.chains.get(name);
        if (chain == null) {
            throw new Refused("No such file or directory (no chain " + name + ")");
        }
        return chain;
    }

    /** Two interval elements overlap when every field of one overlaps that field of the other. */
    private static boolean overlaps(List<KeyPart> a, List<KeyPart> b) {
        for (int i = 0; i < a.size(); i++) {
            KeyPart x = a.get(i);
            KeyPart y = b.get(i);
            boolean overlap;
            if (x instanceof KeyPart.Addresses p && y instanceof KeyPart.Addresses q) {
                overlap = p.range().first().compareTo(q.range().last()) <= 0
                        && q.range().first().compareTo(p.range().last()) <= 0;
            } else if (x instanceof KeyPart.Ports p && y instanceof KeyPart.Ports q) {
                overlap = p.first() <= q.last() && q.first() <= p.last();
            } else {
                overlap = x.equals(y);
            }
            if (!overlap) {
                return false;
            }
        }
        return true;
    }
}
