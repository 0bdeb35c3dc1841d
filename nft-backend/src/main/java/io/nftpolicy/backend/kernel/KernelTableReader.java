package io.nftpolicy.backend.kernel;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.libnftables.OutputFlag;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * Reads nftpolicy's table back from the kernel: the JSON libnftables prints for {@code list table inet nftpolicy}
 * ({@code {"nftables":[{"metainfo":...},{"table":...},{"set":...},{"map":...},{"chain":...},{"rule":...}]}}) into a
 * {@link KernelTable}.
 *
 * <ul>
 *   <li>Sets and maps come out exact, as the model writes them: typed key parts, element comments, elements in the
 *       model's order ({@link SetElement} and {@link MapElement} order), so that a set the kernel holds as committed
 *       equals the committed one. Elements carry no sources (the kernel keeps only the comment).</li>
 *   <li>Chains: their hook, comment, and per rule (in chain order) a {@link RuleDigest}: comment, the {@code @}sets
 *       it refers to, and its verdict. For every rule the compiler emits this equals {@link RuleDigest#of}.</li>
 *   <li>Sets, maps and chains are sorted by name: the kernel lists them in the order they were created, which
 *       depends on history, not on content.</li>
 *   <li>libnftables 1.0.6 leaves the comments of the table and of chains out of its JSON. {@link #parse(String,
 *       String)} takes them from the text listing instead, and {@link #read} fetches both.</li>
 * </ul>
 *
 * Table flags (a dormant table) are read as they are. Objects nftpolicy never writes (another kind of object, a
 * data map, a set of a key type or with flags nftpolicy does not use, a map element that does not jump, a base chain
 * that is not {@code type filter} with {@code policy accept}) come back as {@link ForeignObject}s, for the repair to
 * delete; the rules of such a chain are not read. A listing that is not JSON of a table at all fails with a
 * {@link KernelTableFormatException} naming where.
 */
public final class KernelTableReader {
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_.\\-]{1,255}");
    /** The table object's flags: group 1 from the comma before them. */
    private static final java.util.regex.Pattern TABLE_FLAGS =
            java.util.regex.Pattern.compile("\\{\"table\": \\{[^{}]*?(, \"flags\":)");

    private KernelTableReader() {}

    /**
     * Reads table {@code inet nftpolicy} through {@code nft}: its JSON listing, plus (when the JSON lacks them, as
     * 1.0.6's does) the table and chain comments from a terse text listing. Empty when there is no such table.
     *
     * @throws NftablesException          libnftables failed to list it
     * @throws KernelTableFormatException the listing is not a table nftpolicy could have written
     */
    public static Optional<KernelTable> read(Nftables nft) throws NftablesException {
        return read(nft, Ruleset.FAMILY, Ruleset.TABLE);
    }

    /** As {@link #read(Nftables)}, for any table. */
    public static Optional<KernelTable> read(Nftables nft, String family, String table) throws NftablesException {
        return read(nft, family, table, EnumSet.of(OutputFlag.JSON));
    }

    /**
     * The table's declarations: as {@link #read(Nftables)}, but the sets and maps come without their elements (a
     * terse listing, which skips fetching them: about 40% of a full read at 20,000 elements). With
     * {@link #readSet} and {@link #readMap} per set and map, this reads the table in small steps.
     */
    public static Optional<KernelTable> readDeclarations(Nftables nft) throws NftablesException {
        return read(nft, Ruleset.FAMILY, Ruleset.TABLE, EnumSet.of(OutputFlag.JSON, OutputFlag.TERSE));
    }

    /**
     * One set of table {@code inet nftpolicy} with its elements ({@code list set}: libnftables fetches only that
     * set's elements), parsed as in a table listing. Empty when there is no such set.
     *
     * @throws KernelTableFormatException the listing is not a set nftpolicy could have written
     */
    public static Optional<NamedSet> readSet(Nftables nft, String name) throws NftablesException {
        return listOne(nft, "set", name).map(json -> parseSet(json, name));
    }

    /** As {@link #readSet}, for a verdict map ({@code list map}). */
    public static Optional<VerdictMap> readMap(Nftables nft, String name) throws NftablesException {
        return listOne(nft, "map", name).map(json -> parseMap(json, name));
    }

    /** Parses the JSON of {@code list set inet nftpolicy NAME}: exactly that set. */
    public static NamedSet parseSet(String json, String name) {
        Listing listing = Listing.of(json, Ruleset.FAMILY, Ruleset.TABLE);
        if (listing.sets.size() != 1 || !listing.maps.isEmpty() || !listing.chains.isEmpty()
                || !listing.sets.get(0).name().equals(name)) {
            throw format("nftables", "expected the listing of set " + name + " alone");
        }
        return listing.sets.get(0);
    }

    /** Parses the JSON of {@code list map inet nftpolicy NAME}: exactly that verdict map. */
    public static VerdictMap parseMap(String json, String name) {
        Listing listing = Listing.of(json, Ruleset.FAMILY, Ruleset.TABLE);
        if (listing.maps.size() != 1 || !listing.sets.isEmpty() || !listing.chains.isEmpty()
                || !listing.maps.get(0).name().equals(name)) {
            throw format("nftables", "expected the listing of map " + name + " alone");
        }
        return listing.maps.get(0);
    }

    private static Optional<String> listOne(Nftables nft, String kind, String name) throws NftablesException {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a " + kind + " name: " + name);
        }
        try {
            return Optional.of(nft.runJson("list " + kind + " " + Ruleset.FAMILY + " " + Ruleset.TABLE + " " + name));
        } catch (NftablesException e) {
            if (e.isNoSuchObject()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * The JSON and the text listing are two libnftables commands, each consistent on its own. A transaction
     * committed between them (by a writer, or for a reader, that does not take {@code TableLock}) would pair the
     * JSON of one table with the comments of another: {@code ApplyKillKernelTest} read back chains that a concurrent
     * apply had just created, with no comment. When the two listings list different chains, both are read again.
     */
    private static final int CONSISTENT_READ_ATTEMPTS = 5;

    private static Optional<KernelTable> read(Nftables nft, String family, String table, Set<OutputFlag> flags)
            throws NftablesException {
        for (int attempt = 1; ; attempt++) {
            Optional<String> json = nft.listTable(family, table, flags);
            if (json.isEmpty()) {
                return Optional.empty();
            }
            String listed = json.get();
            boolean flagged = TABLE_FLAGS.matcher(listed).find();
            Listing listing = Listing.of(flagged ? withoutTableFlags(listed) : listed);
            if (listing.hasOwnComments() && !flagged) {
                return Optional.of(listing.build(Optional.empty()));
            }
            Optional<String> text = nft.listTable(family, table, EnumSet.of(OutputFlag.TERSE));
            if (text.isEmpty()) {
                return Optional.empty(); // deleted between the two listings: gone is the latest truth
            }
            TextComments comments = TextComments.parse(text.get(), listing.family, listing.name);
            if (comments.chainNames().equals(listing.chainNames()) || attempt == CONSISTENT_READ_ATTEMPTS) {
                return Optional.of(listing.build(Optional.of(comments)));
            }
        }
    }

    /**
     * libnftables 1.0.6 prints a table's flags in JSON from freed memory: {@code "flags": "Lester Gooch #5"}, or
     * {@code "inet"}, or nothing at all. The text listing has them right, so they are taken from there, and the
     * JSON's are cut out before it is parsed: from {@code "flags":} to the end of the table object, which is the
     * last thing libnftables prints in it.
     */
    static String withoutTableFlags(String json) {
        Matcher m = TABLE_FLAGS.matcher(json);
        if (!m.find()) {
            return json;
        }
        int from = m.start(1);
        int next = json.indexOf("}}, {\"", from);
        int last = json.indexOf("}}]}", from);
        int end = next < 0 ? last : last < 0 ? next : Math.min(next, last);
        if (end < 0) {
            throw format("nftables[1].table.flags", "a listing cut short after the table's flags");
        }
        return json.substring(0, from) + json.substring(end);
    }

    /**
     * Parses the JSON listing of one table. The table's and chains' comments are those the JSON carries (none with
     * libnftables 1.0.6: use {@link #parse(String, String)} for them).
     *
     * @throws KernelTableFormatException malformed JSON, or not a table nftpolicy could have written
     */
    public static KernelTable parse(String json) {
        return Listing.of(json).build(Optional.empty());
    }

    /**
     * As {@link #parse(String)}, with the comments of the table and its chains taken from {@code textListing} (nft's
     * text listing of the same table, {@code list table}, terse or not) wherever the JSON has none.
     */
    public static KernelTable parse(String json, String textListing) {
        Listing listing = Listing.of(json);
        return listing.build(Optional.of(TextComments.parse(textListing, listing.family, listing.name)));
    }

    // ---- the listing ----

    private static final class Listing {
        String family;
        String name;
        String comment; // null: the JSON has none
        boolean chainComments;
        final List<NamedSet> sets = new ArrayList<>();
        final List<VerdictMap> maps = new ArrayList<>();
        final Map<String, ChainBuilder> chains = new LinkedHashMap<>();
        final List<String> tableFlags = new ArrayList<>();
        final List<ForeignObject> foreign = new ArrayList<>();
        /** Chains that are not nftpolicy's: their rules are not read, the chain goes whole. */
        final Set<String> foreignChains = new java.util.HashSet<>();

        static Listing of(String json) {
            Listing listing = new Listing();
            listing.read(json);
            if (listing.name == null) {
                throw format("nftables", "no table in the listing");
            }
            return listing;
        }

        /** The listing of one object ({@code list set}, {@code list map}) of table {@code family table}. */
        static Listing of(String json, String family, String table) {
            Listing listing = new Listing();
            listing.family = family;
            listing.name = table;
            listing.read(json);
            return listing;
        }

        private void read(String json) {
            Object root = Json.parse(json);
            Listing listing = this;
            List<Object> items = array(object(root, "the document").get("nftables"), "nftables");
            for (int i = 0; i < items.size(); i++) {
                String path = "nftables[" + i + "]";
                Map<String, Object> item = object(items.get(i), path);
                if (item.size() != 1) {
                    throw format(path, "expected an object with one key (its kind), found keys " + item.keySet());
                }
                Map.Entry<String, Object> entry = item.entrySet().iterator().next();
                String kind = entry.getKey();
                path = path + "." + kind;
                Map<String, Object> body = object(entry.getValue(), path);
                switch (kind) {
                    case "metainfo" -> { }
                    case "table" -> listing.table(body, path);
                    case "set" -> {
                        String setName = listing.owned(body, path);
                        try {
                            listing.sets.add(readSet(setName, body, path));
                        } catch (KernelTableFormatException e) {
                            listing.foreign.add(new ForeignObject("set", setName, e.getMessage()));
                        }
                    }
                    case "map" -> {
                        String mapName = listing.owned(body, path);
                        try {
                            listing.maps.add(readMap(mapName, body, path));
                        } catch (KernelTableFormatException e) {
                            listing.foreign.add(new ForeignObject("map", mapName, e.getMessage()));
                        }
                    }
                    case "chain" -> listing.chain(body, path);
                    case "rule" -> listing.rule(body, path);
                    default -> {
                        if (!(body.get("name") instanceof String objectName)) {
                            throw format(path, "a " + kind + " without a name in the table");
                        }
                        listing.owned(body, path);
                        listing.foreign.add(new ForeignObject(kind, objectName, "a " + kind
                                + ": nftpolicy's table holds only sets, verdict maps, chains and rules"));
                    }
                }
            }
        }

        boolean hasOwnComments() {
            return comment != null || chainComments;
        }

        /** Every chain listed, nftpolicy's and foreign ones. */
        Set<String> chainNames() {
            Set<String> names = new java.util.HashSet<>(chains.keySet());
            names.addAll(foreignChains);
            return names;
        }

        KernelTable build(Optional<TextComments> text) {
            String tableComment = comment != null ? comment : text.flatMap(TextComments::table).orElse("");
            List<String> flags = text.map(TextComments::tableFlags).filter(f -> !f.isEmpty()).orElse(tableFlags);
            List<KernelChain> built = new ArrayList<>();
            for (ChainBuilder c : chains.values()) {
                String chainComment = c.comment != null ? c.comment
                        : text.map(t -> t.chains().getOrDefault(c.name, "")).orElse("");
                built.add(new KernelChain(c.name, c.hook, chainComment, c.rules, c.expressions));
            }
            List<NamedSet> sortedSets = new ArrayList<>(sets);
            sortedSets.sort(Comparator.comparing(NamedSet::name));
            List<VerdictMap> sortedMaps = new ArrayList<>(maps);
            sortedMaps.sort(Comparator.comparing(VerdictMap::name));
            built.sort(Comparator.comparing(KernelChain::name));
            List<ForeignObject> sortedForeign = new ArrayList<>(foreign);
            sortedForeign.sort(Comparator.comparing(ForeignObject::kind).thenComparing(ForeignObject::name));
            return new KernelTable(tableComment, sortedSets, sortedMaps, built, flags, sortedForeign);
        }

        private void table(Map<String, Object> body, String path) {
            if (name != null) {
                throw format(path, "a second table (" + body.get("family") + " " + body.get("name")
                        + ") in the listing of " + family + " " + name);
            }
            family = string(body.get("family"), path + ".family");
            name = string(body.get("name"), path + ".name");
            // dormant, above all, switches every base chain off: drift, which the repair undoes
            tableFlags.addAll(flags(body, path));
            if (body.containsKey("comment")) {
                comment = string(body.get("comment"), path + ".comment");
            }
        }

        /** The object's name, after checking it belongs to the table listed. */
        private String owned(Map<String, Object> body, String path) {
            if (name == null) {
                throw format(path, "comes before its table");
            }
            String table = string(body.get("table"), path + ".table");
            String fam = string(body.get("family"), path + ".family");
            if (!table.equals(name) || !fam.equals(family)) {
                throw format(path, "belongs to table " + fam + " " + table + ", not to " + family + " " + name);
            }
            return string(body.get("name"), path + ".name");
        }

        private void chain(Map<String, Object> body, String path) {
            String chainName = owned(body, path);
            if (chains.containsKey(chainName) || foreignChains.contains(chainName)) {
                throw format(path, "chain " + chainName + " listed twice");
            }
            Optional<BaseHook> hook = Optional.empty();
            if (body.containsKey("hook")) {
                Object type = body.get("type");
                Object policy = body.get("policy");
                if (!"filter".equals(type) || !"accept".equals(policy)) {
                    foreignChains.add(chainName);
                    foreign.add(new ForeignObject("chain", chainName, "base chain of type " + describe(type)
                            + ", policy " + describe(policy) + ": nftpolicy's base chains are type filter, policy "
                            + "accept"));
                    return;
                }
                long prio = number(body.get("prio"), path + ".prio");
                if (prio < Integer.MIN_VALUE || prio > Integer.MAX_VALUE) {
                    throw format(path + ".prio", "priority " + prio + " out of range");
                }
                hook = Optional.of(new BaseHook(string(body.get("hook"), path + ".hook"), (int) prio));
            }
            String chainComment = null;
            if (body.containsKey("comment")) {
                chainComment = string(body.get("comment"), path + ".comment");
                chainComments = true;
            }
            chains.put(chainName, new ChainBuilder(chainName, hook, chainComment));
        }

        private void rule(Map<String, Object> body, String path) {
            if (name == null) {
                throw format(path, "comes before its table");
            }
            String table = string(body.get("table"), path + ".table");
            String fam = string(body.get("family"), path + ".family");
            String chainName = string(body.get("chain"), path + ".chain");
            ChainBuilder chain = chains.get(chainName);
            if (table.equals(name) && fam.equals(family) && foreignChains.contains(chainName)) {
                return;
            }
            if (!table.equals(name) || !fam.equals(family) || chain == null) {
                throw format(path, "rule of chain " + table + " " + chainName + ", which the listing does not declare");
            }
            String ruleComment = body.containsKey("comment") ? string(body.get("comment"), path + ".comment") : "";
            List<Object> expr = array(body.get("expr"), path + ".expr");
            chain.rules.add(digest(ruleComment, expr, path + ".expr"));
            chain.expressions.add(RuleExpression.of(expr));
        }
    }

    private static final class ChainBuilder {
        final String name;
        final Optional<BaseHook> hook;
        final String comment; // null: the JSON has none
        final List<RuleDigest> rules = new ArrayList<>();
        final List<String> expressions = new ArrayList<>();

        ChainBuilder(String name, Optional<BaseHook> hook, String comment) {
            this.name = name;
            this.hook = hook;
            this.comment = comment;
        }
    }

    // ---- rules ----

    static RuleDigest digest(String comment, List<Object> statements, String path) {
        List<String> sets = new ArrayList<>();
        collectSetReferences(statements, sets);
        sets.sort(null);
        String verdict = "";
        for (int i = 0; i < statements.size(); i++) {
            Map<String, Object> statement = object(statements.get(i), path + "[" + i + "]");
            for (Map.Entry<String, Object> e : statement.entrySet()) {
                String key = e.getKey();
                if (RuleDigest.VERDICTS.contains(key)) {
                    verdict = key;
                } else if (key.equals("jump") || key.equals("goto")) {
                    verdict = key + " " + string(object(e.getValue(), path + "[" + i + "]." + key).get("target"),
                            path + "[" + i + "]." + key + ".target");
                } else if (key.equals("vmap")) {
                    verdict = "vmap";
                }
            }
        }
        List<String> literals = new ArrayList<>();
        collectAnonymousSets(statements, literals);
        return new RuleDigest(comment, sets, verdict, literals);
    }

    /** Every {@code {"set": [...]}} in a rule, in order: the rule's anonymous sets, e.g. its inline ports. */
    private static void collectAnonymousSets(Object value, List<String> out) {
        if (value instanceof Map<?, ?> m) {
            Object set = m.get("set");
            if (m.size() == 1 && set instanceof List<?> elements) {
                List<String> rendered = new ArrayList<>();
                elements.forEach(e -> rendered.add(literalElement(e)));
                out.add(RuleDigest.literal(rendered));
                return;
            }
            m.values().forEach(v -> collectAnonymousSets(v, out));
        } else if (value instanceof List<?> l) {
            l.forEach(v -> collectAnonymousSets(v, out));
        }
    }

    /** An anonymous set element in nft's own text form: {@code tcp . 8000-8999}, {@code 10.0.0.0/8}, a name. */
    private static String literalElement(Object element) {
        if (element instanceof Map<?, ?> m && m.size() == 1) {
            var entry = m.entrySet().iterator().next();
            if (entry.getKey().equals("concat") && entry.getValue() instanceof List<?> parts) {
                List<String> rendered = new ArrayList<>();
                parts.forEach(p -> rendered.add(literalElement(p)));
                return String.join(" . ", rendered);
            }
            if (entry.getKey().equals("range") && entry.getValue() instanceof List<?> bounds && bounds.size() == 2) {
                return literalElement(bounds.get(0)) + "-" + literalElement(bounds.get(1));
            }
            if (entry.getKey().equals("prefix") && entry.getValue() instanceof Map<?, ?> prefix) {
                return literalElement(prefix.get("addr")) + "/" + literalElement(prefix.get("len"));
            }
        }
        return String.valueOf(element);
    }

    /** Every string that starts with {@code @}, anywhere: the JSON's way of naming a set or map. */
    private static void collectSetReferences(Object value, List<String> out) {
        if (value instanceof String s) {
            if (s.startsWith("@") && s.length() > 1) {
                out.add(s.substring(1));
            }
        } else if (value instanceof Map<?, ?> m) {
            m.values().forEach(v -> collectSetReferences(v, out));
        } else if (value instanceof List<?> l) {
            l.forEach(v -> collectSetReferences(v, out));
        }
    }

    // ---- sets ----

    private static NamedSet readSet(String name, Map<String, Object> body, String path) {
        List<KeyType> keyType = keyType(body.get("type"), path + ".type");
        List<String> flags = flags(body, path);
        if (!List.of("interval").containsAll(flags)) {
            throw format(path + ".flags", "set flags " + flags + ": nftpolicy's sets have none but interval");
        }
        boolean interval = flags.contains("interval");
        String comment = body.containsKey("comment") ? string(body.get("comment"), path + ".comment") : "";
        List<SetElement> elements = new ArrayList<>();
        if (body.containsKey("elem")) {
            List<Object> elems = array(body.get("elem"), path + ".elem");
            for (int i = 0; i < elems.size(); i++) {
                String at = path + ".elem[" + i + "]";
                Element e = unwrap(elems.get(i), at);
                elements.add(new SetElement(key(e.value, keyType, at), List.of(), e.comment));
            }
        }
        elements.sort(null);
        return new NamedSet(name, keyType, interval, comment, elements);
    }

    private static List<String> flags(Map<String, Object> body, String path) {
        Object flags = body.get("flags");
        if (flags == null) {
            return List.of();
        }
        if (flags instanceof String s) {
            return List.of(s);
        }
        List<String> out = new ArrayList<>();
        List<Object> list = array(flags, path + ".flags");
        for (int i = 0; i < list.size(); i++) {
            out.add(string(list.get(i), path + ".flags[" + i + "]"));
        }
        return out;
    }

    private static List<KeyType> keyType(Object type, String path) {
        if (type instanceof String s) {
            return List.of(keyType(s, path));
        }
        List<Object> parts = array(type, path);
        if (parts.isEmpty()) {
            throw format(path, "empty key type");
        }
        List<KeyType> out = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            out.add(keyType(string(parts.get(i), path + "[" + i + "]"), path + "[" + i + "]"));
        }
        return out;
    }

    private static KeyType keyType(String name, String path) {
        for (KeyType t : KeyType.values()) {
            if (t.nftName().equals(name)) {
                return t;
            }
        }
        throw format(path, "key type " + name + " (nftpolicy uses only ipv4_addr, ipv6_addr, inet_proto, "
                + "inet_service and mark)");
    }

    /** An element's value and comment: {@code {"elem":{"val":...,"comment":...}}} or the bare value. */
    private record Element(Object value, String comment) {}

    private static Element unwrap(Object element, String path) {
        if (element instanceof Map<?, ?> m && m.size() == 1 && m.containsKey("elem")) {
            Map<String, Object> elem = object(m.get("elem"), path + ".elem");
            if (!elem.containsKey("val")) {
                throw format(path + ".elem", "element without \"val\"");
            }
            String comment = elem.containsKey("comment") ? string(elem.get("comment"), path + ".elem.comment") : "";
            return new Element(elem.get("val"), comment);
        }
        return new Element(element, "");
    }

    private static List<KeyPart> key(Object value, List<KeyType> keyType, String path) {
        if (keyType.size() == 1) {
            return List.of(keyPart(value, keyType.get(0), path));
        }
        Map<String, Object> concat = object(value, path);
        if (!concat.containsKey("concat") || concat.size() != 1) {
            throw format(path, "expected a concatenation {\"concat\":[...]} for key type " + typeText(keyType)
                    + ", found " + describe(value));
        }
        List<Object> parts = array(concat.get("concat"), path + ".concat");
        if (parts.size() != keyType.size()) {
            throw format(path, parts.size() + " key parts for key type " + typeText(keyType));
        }
        List<KeyPart> key = new ArrayList<>();
        for (int i = 0; i < parts.size(); i++) {
            key.add(keyPart(parts.get(i), keyType.get(i), path + ".concat[" + i + "]"));
        }
        return key;
    }

    private static KeyPart keyPart(Object value, KeyType type, String path) {
        return switch (type) {
            case IPV4_ADDR -> new KeyPart.Addresses(addresses(value, IpFamily.IPV4, path));
            case IPV6_ADDR -> new KeyPart.Addresses(addresses(value, IpFamily.IPV6, path));
            case INET_PROTO -> new KeyPart.Proto(protocol(value, path));
            case INET_SERVICE -> ports(value, path);
            case MARK -> mark(value, path);
        };
    }

    private static KeyPart.Mark mark(Object value, String path) {
        long mark = number(value, path);
        if (mark < 0 || mark > 0xffffffffL) {
            throw format(path, "mark " + mark + " out of range");
        }
        return new KeyPart.Mark(mark);
    }

    /** A plain address, {@code {"prefix":{"addr":A,"len":N}}} or {@code {"range":[A,B]}}. */
    private static IpRange addresses(Object value, IpFamily family, String path) {
        if (value instanceof String s) {
            return IpRange.single(address(s, family, path));
        }
        Map<String, Object> m = object(value, path);
        if (m.size() == 1 && m.containsKey("prefix")) {
            Map<String, Object> prefix = object(m.get("prefix"), path + ".prefix");
            IpAddress addr = address(string(prefix.get("addr"), path + ".prefix.addr"), family, path + ".prefix.addr");
            long len = number(prefix.get("len"), path + ".prefix.len");
            if (len < 0 || len > family.bits()) {
                throw format(path + ".prefix.len", "prefix length " + len + " out of range for " + family);
            }
            return IpRange.prefix(addr, (int) len);
        }
        if (m.size() == 1 && m.containsKey("range")) {
            List<Object> range = pair(m.get("range"), path + ".range");
            IpAddress first = address(string(range.get(0), path + ".range[0]"), family, path + ".range[0]");
            IpAddress last = address(string(range.get(1), path + ".range[1]"), family, path + ".range[1]");
            if (first.compareTo(last) > 0) {
                throw format(path + ".range", "empty range " + first + "-" + last);
            }
            return new IpRange(first, last);
        }
        throw format(path, "expected an address, prefix or range, found " + describe(value));
    }

    private static IpAddress address(String text, IpFamily family, String path) {
        IpAddress address;
        try {
            address = IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw format(path, e.getMessage());
        }
        if (address.family() != family) {
            throw format(path, text + " is not an " + family + " address");
        }
        return address;
    }

    private static Protocol protocol(Object value, String path) {
        if (value instanceof String s) {
            for (Protocol p : Protocol.values()) {
                if (p.nftName().equals(s)) {
                    return p;
                }
            }
            if (s.matches("\\d{1,3}")) {
                return protocol(Long.parseLong(s), path);
            }
        } else if (value instanceof Long n) {
            if (n == 6) {
                return Protocol.TCP;
            }
            if (n == 17) {
                return Protocol.UDP;
            }
            if (n == 132) {
                return Protocol.SCTP;
            }
        }
        throw format(path, "expected tcp, udp or sctp, found " + describe(value));
    }

    /** A port, {@code {"range":[A,B]}}, or either as digits in a string. */
    private static KeyPart.Ports ports(Object value, String path) {
        if (value instanceof Map<?, ?> m && m.size() == 1 && m.containsKey("range")) {
            List<Object> range = pair(m.get("range"), path + ".range");
            return portRange(port(range.get(0), path + ".range[0]"), port(range.get(1), path + ".range[1]"), path);
        }
        int port = port(value, path);
        return portRange(port, port, path);
    }

    private static KeyPart.Ports portRange(int first, int last, String path) {
        if (first > last) {
            throw format(path, "empty port range " + first + "-" + last);
        }
        return new KeyPart.Ports(first, last);
    }

    private static int port(Object value, String path) {
        long n;
        if (value instanceof Long l) {
            n = l;
        } else if (value instanceof String s && s.matches("\\d{1,5}")) {
            n = Long.parseLong(s);
        } else {
            throw format(path, "expected a port number, found " + describe(value));
        }
        if (n < 0 || n > 65535) {
            throw format(path, "port " + n + " out of range");
        }
        return (int) n;
    }

    // ---- maps ----

    private static VerdictMap readMap(String name, Map<String, Object> body, String path) {
        Object data = body.get("map");
        if (!"verdict".equals(data)) {
            throw format(path + ".map", "a map to " + describe(data) + ": nftpolicy's maps map to verdicts");
        }
        List<KeyType> keyType = keyType(body.get("type"), path + ".type");
        if (keyType.size() != 1 || (keyType.get(0) != KeyType.IPV4_ADDR && keyType.get(0) != KeyType.IPV6_ADDR)) {
            throw format(path + ".type", "map key type " + typeText(keyType) + ": nftpolicy's maps are keyed by one "
                    + "address");
        }
        IpFamily family = keyType.get(0) == KeyType.IPV4_ADDR ? IpFamily.IPV4 : IpFamily.IPV6;
        if (!flags(body, path).isEmpty()) {
            throw format(path + ".flags", "map flags " + flags(body, path) + ": nftpolicy's maps have none");
        }
        String comment = body.containsKey("comment") ? string(body.get("comment"), path + ".comment") : "";
        List<MapElement> elements = new ArrayList<>();
        if (body.containsKey("elem")) {
            List<Object> elems = array(body.get("elem"), path + ".elem");
            for (int i = 0; i < elems.size(); i++) {
                String at = path + ".elem[" + i + "]";
                List<Object> pair = pair(elems.get(i), at);
                Element key = unwrap(pair.get(0), at + "[0]");
                if (!(key.value instanceof String address)) {
                    throw format(at + "[0]", "expected an address, found " + describe(key.value));
                }
                Map<String, Object> verdict = object(pair.get(1), at + "[1]");
                if (verdict.size() != 1 || !verdict.containsKey("jump")) {
                    throw format(at + "[1]", "expected a jump to a chain, found " + describe(verdict));
                }
                String chain = string(object(verdict.get("jump"), at + "[1].jump").get("target"),
                        at + "[1].jump.target");
                elements.add(new MapElement(address(address, family, at + "[0]"), chain, key.comment));
            }
        }
        elements.sort(null);
        return new VerdictMap(name, keyType.get(0), comment, elements);
    }

    // ---- typed access, with the path of what is wrong ----

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value, String path) {
        if (value instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        throw format(path, "expected an object, found " + describe(value));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> array(Object value, String path) {
        if (value instanceof List<?> l) {
            return (List<Object>) l;
        }
        throw format(path, "expected an array, found " + describe(value));
    }

    private static List<Object> pair(Object value, String path) {
        List<Object> list = array(value, path);
        if (list.size() != 2) {
            throw format(path, "expected two values, found " + list.size());
        }
        return list;
    }

    private static String string(Object value, String path) {
        if (value instanceof String s) {
            return s;
        }
        throw format(path, "expected a string, found " + describe(value));
    }

    private static long number(Object value, String path) {
        if (value instanceof Long n) {
            return n;
        }
        throw format(path, "expected a number, found " + describe(value));
    }

    private static String typeText(List<KeyType> keyType) {
        return String.join(" . ", keyType.stream().map(KeyType::nftName).toList());
    }

    private static String describe(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return "\"" + s + "\"";
        }
        String text = value instanceof Map<?, ?> || value instanceof List<?> ? jsonish(value) : value.toString();
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }

    private static String jsonish(Object value) {
        if (value instanceof Map<?, ?> m) {
            StringBuilder out = new StringBuilder("{");
            m.forEach((k, v) -> out.append(out.length() > 1 ? "," : "").append('"').append(k).append("\":")
                    .append(jsonish(v)));
            return out.append('}').toString();
        }
        if (value instanceof List<?> l) {
            StringBuilder out = new StringBuilder("[");
            l.forEach(v -> out.append(out.length() > 1 ? "," : "").append(jsonish(v)));
            return out.append(']').toString();
        }
        return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
    }

    private static KernelTableFormatException format(String path, String what) {
        return new KernelTableFormatException("unexpected listing of the table at " + path + ": " + what);
    }
}
