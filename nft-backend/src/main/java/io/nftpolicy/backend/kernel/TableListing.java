package io.nftpolicy.backend.kernel;

import static io.nftpolicy.backend.kernel.JsonAt.array;
import static io.nftpolicy.backend.kernel.JsonAt.format;
import static io.nftpolicy.backend.kernel.JsonAt.number;
import static io.nftpolicy.backend.kernel.JsonAt.object;
import static io.nftpolicy.backend.kernel.JsonAt.string;

import com.fasterxml.jackson.databind.JsonNode;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One JSON listing of a table (or of one of its sets or maps), parsed into the table's objects: its name and flags,
 * sets and maps with their elements ({@link ElementDecoder}), chains with a {@link RuleDigest} and a
 * {@link RuleExpression} per rule, and what nftpolicy never writes as {@link ForeignObject}s. {@link #build} makes
 * the {@link KernelTable}, with the comments the JSON lacks taken from the text listing ({@link TextComments}).
 */
final class TableListing {
    String family;
    String name;
    /** null: the JSON has none (libnftables 1.0.6 prints neither the table's nor the chains' comments). */
    private String comment;
    private boolean chainComments;
    final List<NamedSet> sets = new ArrayList<>();
    final List<VerdictMap> maps = new ArrayList<>();
    final Map<String, ChainBuilder> chains = new LinkedHashMap<>();
    private final List<String> tableFlags = new ArrayList<>();
    private final List<ForeignObject> foreign = new ArrayList<>();
    /** Chains that are not nftpolicy's: their rules are not read, the chain goes whole. */
    private final Set<String> foreignChains = new HashSet<>();

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

    /** The listing of a table. */
    static TableListing of(String json) {
        TableListing listing = new TableListing();
        listing.read(json);
        if (listing.name == null) {
            throw format("nftables", "no table in the listing");
        }
        return listing;
    }

    /** The listing of one object ({@code list set}, {@code list map}) of table {@code family table}. */
    static TableListing of(String json, String family, String table) {
        TableListing listing = new TableListing();
        listing.family = family;
        listing.name = table;
        listing.read(json);
        return listing;
    }

    private void read(String json) {
        JsonNode items = array(object(JsonAt.parse(json), "the document").get("nftables"), "nftables");
        for (int i = 0; i < items.size(); i++) {
            String path = "nftables[" + i + "]";
            JsonNode item = object(items.get(i), path);
            if (item.size() != 1) {
                List<String> keys = new ArrayList<>();
                item.fieldNames().forEachRemaining(keys::add);
                throw format(path, "expected an object with one key (its kind), found keys " + keys);
            }
            Map.Entry<String, JsonNode> entry = item.fields().next();
            String kind = entry.getKey();
            path = path + "." + kind;
            JsonNode body = object(entry.getValue(), path);
            switch (kind) {
                case "metainfo" -> { }
                case "table" -> table(body, path);
                case "set" -> {
                    String setName = owned(body, path);
                    try {
                        sets.add(set(setName, body, path));
                    } catch (KernelTableFormatException e) {
                        foreign.add(new ForeignObject("set", setName, e.getMessage()));
                    }
                }
                case "map" -> {
                    String mapName = owned(body, path);
                    try {
                        maps.add(map(mapName, body, path));
                    } catch (KernelTableFormatException e) {
                        foreign.add(new ForeignObject("map", mapName, e.getMessage()));
                    }
                }
                case "chain" -> chain(body, path);
                case "rule" -> rule(body, path);
                default -> {
                    JsonNode objectName = body.get("name");
                    if (objectName == null || !objectName.isTextual()) {
                        throw format(path, "a " + kind + " without a name in the table");
                    }
                    owned(body, path);
                    foreign.add(new ForeignObject(kind, objectName.textValue(), "a " + kind
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
        Set<String> names = new HashSet<>(chains.keySet());
        names.addAll(foreignChains);
        return names;
    }

    /**
     * The table, its comments from the JSON or else from {@code text}. Sets, maps and chains are sorted by name: the
     * kernel lists them in the order they were created, which depends on history, not on content.
     */
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

    private void table(JsonNode body, String path) {
        if (name != null) {
            throw format(path, "a second table (" + body.path("family").asText() + " " + body.path("name").asText()
                    + ") in the listing of " + family + " " + name);
        }
        family = string(body.get("family"), path + ".family");
        name = string(body.get("name"), path + ".name");
        // dormant, above all, switches every base chain off: drift, which the repair undoes
        tableFlags.addAll(flags(body, path));
        if (body.has("comment")) {
            comment = string(body.get("comment"), path + ".comment");
        }
    }

    /** The object's name, after checking it belongs to the table listed. */
    private String owned(JsonNode body, String path) {
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

    private void chain(JsonNode body, String path) {
        String chainName = owned(body, path);
        if (chains.containsKey(chainName) || foreignChains.contains(chainName)) {
            throw format(path, "chain " + chainName + " listed twice");
        }
        Optional<BaseHook> hook = Optional.empty();
        if (body.has("hook")) {
            JsonNode type = body.get("type");
            JsonNode policy = body.get("policy");
            if (!isText(type, "filter") || !isText(policy, "accept")) {
                foreignChains.add(chainName);
                foreign.add(new ForeignObject("chain", chainName, "base chain of type " + JsonAt.describe(type)
                        + ", policy " + JsonAt.describe(policy) + ": nftpolicy's base chains are type filter, policy "
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
        if (body.has("comment")) {
            chainComment = string(body.get("comment"), path + ".comment");
            chainComments = true;
        }
        chains.put(chainName, new ChainBuilder(chainName, hook, chainComment));
    }

    private void rule(JsonNode body, String path) {
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
        String ruleComment = body.has("comment") ? string(body.get("comment"), path + ".comment") : "";
        JsonNode expr = array(body.get("expr"), path + ".expr");
        chain.rules.add(digest(ruleComment, expr, path + ".expr"));
        chain.expressions.add(RuleExpression.of(expr));
    }

    private static boolean isText(JsonNode value, String text) {
        return value != null && value.isTextual() && value.textValue().equals(text);
    }

    // ---- sets and maps ----

    private static NamedSet set(String name, JsonNode body, String path) {
        List<KeyType> keyType = ElementDecoder.keyType(body.get("type"), path + ".type");
        List<String> flags = flags(body, path);
        if (!List.of("interval").containsAll(flags)) {
            throw format(path + ".flags", "set flags " + flags + ": nftpolicy's sets have none but interval");
        }
        boolean counter = counterStatement(body, path);
        String comment = body.has("comment") ? string(body.get("comment"), path + ".comment") : "";
        List<SetElement> elements = new ArrayList<>();
        if (body.has("elem")) {
            JsonNode elems = array(body.get("elem"), path + ".elem");
            for (int i = 0; i < elems.size(); i++) {
                elements.add(ElementDecoder.setElement(elems.get(i), keyType, path + ".elem[" + i + "]"));
            }
        }
        elements.sort(null);
        return new NamedSet(name, keyType, flags.contains("interval"), comment, elements, counter);
    }

    /** A set's element statements: none, or {@code counter} alone ({@code "stmt":[{"counter":null}]}). */
    private static boolean counterStatement(JsonNode body, String path) {
        JsonNode stmt = body.get("stmt");
        if (stmt == null) {
            return false;
        }
        JsonNode list = array(stmt, path + ".stmt");
        if (list.size() == 1 && list.get(0).isObject() && list.get(0).size() == 1 && list.get(0).has("counter")) {
            return true;
        }
        throw format(path + ".stmt", "set element statements " + list + ": nftpolicy's sets count or do nothing");
    }

    private static VerdictMap map(String name, JsonNode body, String path) {
        JsonNode data = body.get("map");
        if (!isText(data, "verdict")) {
            throw format(path + ".map", "a map to " + JsonAt.describe(data) + ": nftpolicy's maps map to verdicts");
        }
        List<KeyType> keyType = ElementDecoder.keyType(body.get("type"), path + ".type");
        if (keyType.size() != 1 || (keyType.get(0) != KeyType.IPV4_ADDR && keyType.get(0) != KeyType.IPV6_ADDR)) {
            throw format(path + ".type", "map key type " + ElementDecoder.typeText(keyType) + ": nftpolicy's maps are "
                    + "keyed by one address");
        }
        IpFamily family = keyType.get(0) == KeyType.IPV4_ADDR ? IpFamily.IPV4 : IpFamily.IPV6;
        if (!flags(body, path).isEmpty()) {
            throw format(path + ".flags", "map flags " + flags(body, path) + ": nftpolicy's maps have none");
        }
        String comment = body.has("comment") ? string(body.get("comment"), path + ".comment") : "";
        List<MapElement> elements = new ArrayList<>();
        if (body.has("elem")) {
            JsonNode elems = array(body.get("elem"), path + ".elem");
            for (int i = 0; i < elems.size(); i++) {
                elements.add(ElementDecoder.mapElement(elems.get(i), family, path + ".elem[" + i + "]"));
            }
        }
        elements.sort(null);
        return new VerdictMap(name, keyType.get(0), comment, elements);
    }

    private static List<String> flags(JsonNode body, String path) {
        JsonNode flags = body.get("flags");
        if (flags == null) {
            return List.of();
        }
        if (flags.isTextual()) {
            return List.of(flags.textValue());
        }
        List<String> out = new ArrayList<>();
        JsonNode list = array(flags, path + ".flags");
        for (int i = 0; i < list.size(); i++) {
            out.add(string(list.get(i), path + ".flags[" + i + "]"));
        }
        return out;
    }

    // ---- rules ----

    private static RuleDigest digest(String comment, JsonNode statements, String path) {
        List<String> sets = new ArrayList<>();
        collectSetReferences(statements, sets);
        sets.sort(null);
        String verdict = "";
        for (int i = 0; i < statements.size(); i++) {
            JsonNode statement = object(statements.get(i), path + "[" + i + "]");
            for (Iterator<Map.Entry<String, JsonNode>> it = statement.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
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
    private static void collectAnonymousSets(JsonNode value, List<String> out) {
        if (value.isObject()) {
            JsonNode set = value.get("set");
            if (value.size() == 1 && set != null && set.isArray()) {
                List<String> rendered = new ArrayList<>();
                set.forEach(e -> rendered.add(literalElement(e)));
                out.add(RuleDigest.literal(rendered));
                return;
            }
            value.forEach(v -> collectAnonymousSets(v, out));
        } else if (value.isArray()) {
            value.forEach(v -> collectAnonymousSets(v, out));
        }
    }

    /** An anonymous set element in nft's own text form: {@code tcp . 8000-8999}, {@code 10.0.0.0/8}, a name. */
    private static String literalElement(JsonNode element) {
        if (element == null) {
            return "null";
        }
        if (element.isObject() && element.size() == 1) {
            JsonNode concat = element.get("concat");
            if (concat != null && concat.isArray()) {
                List<String> rendered = new ArrayList<>();
                concat.forEach(p -> rendered.add(literalElement(p)));
                return String.join(" . ", rendered);
            }
            JsonNode range = element.get("range");
            if (range != null && range.isArray() && range.size() == 2) {
                return literalElement(range.get(0)) + "-" + literalElement(range.get(1));
            }
            JsonNode prefix = element.get("prefix");
            if (prefix != null && prefix.isObject()) {
                return literalElement(prefix.get("addr")) + "/" + literalElement(prefix.get("len"));
            }
        }
        return element.isTextual() ? element.textValue() : element.toString();
    }

    /** Every string that starts with {@code @}, anywhere: the JSON's way of naming a set or map. */
    private static void collectSetReferences(JsonNode value, List<String> out) {
        if (value.isTextual()) {
            String s = value.textValue();
            if (s.startsWith("@") && s.length() > 1) {
                out.add(s.substring(1));
            }
        } else if (value.isContainerNode()) {
            value.forEach(v -> collectSetReferences(v, out));
        }
    }
}
