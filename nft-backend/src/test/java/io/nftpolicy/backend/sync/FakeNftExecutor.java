package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelChain;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.kernel.RuleDigest;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The kernel's {@code inet nftpolicy} table in memory, as knftables' Fake: it parses the nft scripts the backend
 * sends (the command forms {@link Transaction} writes, and nothing else) and applies each as one transaction, all
 * or nothing, refusing what the kernel refuses (verified on kernel 6.18 with nft 1.0.6):
 * <ul>
 *   <li>anything on a table, set, map or chain that does not exist; a rule looking up a missing set or map;</li>
 *   <li>{@code add set}/{@code add map}/{@code add chain} over an existing one with another type, flags or hook
 *       ("File exists"; a different comment is silently ignored, as by the kernel);</li>
 *   <li>an element added to a map under an existing key with another verdict; an interval overlapping one already
 *       in the set; a deleted element that is not there; a prefix or range in a set without flags interval;</li>
 *   <li>deleting a chain that a map element or a rule still jumps to, or a set or map a rule still looks up
 *       ("Device or resource busy");</li>
 *   <li>any other command (there is no {@code delete table}, {@code flush table} or {@code flush ruleset} here).</li>
 * </ul>
 * Errors read as nft's: {@code Error: ...}, the command, carets. Tests can make the next run fail, read the table
 * back, and compare it with a model through {@link #ruleset()}. Public, so that the agent's tests can use it
 * through nft-backend's test-jar.
 */
public final class FakeNftExecutor implements NftExecutor {
    private static final String T = "inet nftpolicy";
    private static final Pattern ADD_TABLE = Pattern.compile("add table " + T + "(?: \\{ comment \"([^\"]*)\"; \\})?");
    private static final Pattern ADD_SET = Pattern.compile(
            "add set " + T + " (\\S+) \\{ type ([^;]+);( flags interval;)?(?: comment \"([^\"]*)\";)? \\}");
    private static final Pattern ADD_MAP = Pattern.compile(
            "add map " + T + " (\\S+) \\{ type (\\S+) : verdict;(?: comment \"([^\"]*)\";)? \\}");
    private static final Pattern ELEMENTS = Pattern.compile("(add|delete) element " + T + " (\\S+) \\{ (.*) \\}");
    private static final Pattern ADD_CHAIN = Pattern.compile("add chain " + T + " (\\S+)(?: \\{"
            + "(?: type filter hook (\\S+) priority (-?\\d+); policy accept;)?(?: comment \"([^\"]*)\";)? \\})?");
    private static final Pattern FLUSH_CHAIN = Pattern.compile("flush chain " + T + " (\\S+)");
    private static final Pattern ADD_RULE = Pattern.compile("add rule " + T + " (\\S+) (.+)");
    private static final Pattern DELETE = Pattern.compile("delete (chain|set|map) " + T + " (\\S+)");
    private static final Pattern RULE_COMMENT = Pattern.compile("(.*) comment \"([^\"]*)\"");
    private static final Pattern ELEMENT = Pattern.compile("(.+?)(?: comment \"([^\"]*)\")?(?: : jump (\\S+))?");
    private static final Pattern SET_REFERENCE = Pattern.compile("@([A-Za-z0-9_.\\-]+)");
    private static final Pattern JUMP = Pattern.compile("\\b(?:jump|goto) ([A-Za-z0-9_.\\-]+)");

    private Table table;
    private final List<String> scripts = new ArrayList<>();
    private String failNext;
    private int readBacks;

    private static final class Table {
        String comment = "";
        final Map<String, FakeSet> sets = new LinkedHashMap<>();
        final Map<String, FakeMap> maps = new LinkedHashMap<>();
        final Map<String, FakeChain> chains = new LinkedHashMap<>();

        Table copy() {
            Table t = new Table();
            t.comment = comment;
            sets.forEach((k, v) -> t.sets.put(k, new FakeSet(v.name, v.type, v.interval, v.comment,
                    new LinkedHashMap<>(v.elements))));
            maps.forEach((k, v) -> t.maps.put(k, new FakeMap(v.name, v.type, v.comment, new LinkedHashMap<>(v.elements))));
            chains.forEach((k, v) -> t.chains.put(k, new FakeChain(v.name, v.hook, v.comment, new ArrayList<>(v.rules))));
            return t;
        }
    }

    private record FakeSet(String name, List<KeyType> type, boolean interval, String comment,
                           Map<List<KeyPart>, SetElement> elements) {}

    private record FakeMap(String name, KeyType type, String comment, Map<IpAddress, MapElement> elements) {}

    private record FakeChain(String name, Optional<BaseHook> hook, String comment, List<Rule> rules) {}

    private static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    @Override
    public String run(String script) throws ApplyException {
        scripts.add(script);
        if (failNext != null) {
            String error = failNext;
            failNext = null;
            throw ApplyException.refused("nft", script, error);
        }
        Table[] work = {table == null ? null : table.copy()};
        for (String line : script.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                execute(work, line);
            } catch (Refused e) {
                throw ApplyException.refused("nft", script,
                        "Error: " + e.getMessage() + "\n" + line + "\n" + "^".repeat(Math.min(line.length(), 20)) + "\n");
            }
        }
        table = work[0];
        return "";
    }

    @Override
    public Optional<KernelTable> readBack() {
        readBacks++;
        if (table == null) {
            return Optional.empty();
        }
        List<KernelChain> chains = table.chains.values().stream()
                .map(c -> new KernelChain(c.name, c.hook, c.comment, c.rules.stream().map(RuleDigest::of).toList()))
                .toList();
        Ruleset r = ruleset().orElseThrow();
        return Optional.of(new KernelTable(table.comment, r.sets(), r.maps(), chains));
    }

    /** Makes the next {@link #run} fail as nft would with this error text, applying nothing. */
    public void failNextRun(String errorText) {
        this.failNext = errorText;
    }

    /** Every script run, refused ones included, in order. */
    public List<String> scripts() {
        return List.copyOf(scripts);
    }

    public String lastScript() {
        return scripts.get(scripts.size() - 1);
    }

    public int readBacks() {
        return readBacks;
    }

    public boolean hasTable() {
        return table != null;
    }

    /**
     * The table as a ruleset, with what the kernel keeps: element comments as stored, no provenance; objects in
     * name order, elements in key order, rules in chain order. Compare with {@link #normalized(Ruleset)}.
     */
    public Optional<Ruleset> ruleset() {
        if (table == null) {
            return Optional.empty();
        }
        List<NamedSet> sets = table.sets.values().stream()
                .map(s -> new NamedSet(s.name, s.type, s.interval, s.comment,
                        s.elements.values().stream().sorted().toList()))
                .sorted(Comparator.comparing(NamedSet::name)).toList();
        List<VerdictMap> maps = table.maps.values().stream()
                .map(m -> new VerdictMap(m.name, m.type, m.comment, m.elements.values().stream().sorted().toList()))
                .sorted(Comparator.comparing(VerdictMap::name)).toList();
        List<Chain> chains = table.chains.values().stream()
                .map(c -> new Chain(c.name, c.hook, c.comment, c.rules))
                .sorted(Comparator.comparing(Chain::name)).toList();
        return Optional.of(new Ruleset(Ruleset.FAMILY, Ruleset.TABLE, table.comment, sets, maps, chains));
    }

    /** A model as this fake would hold it once applied: comparable with {@link #ruleset()}. */
    public static Ruleset normalized(Ruleset model) {
        List<NamedSet> sets = model.sets().stream()
                .map(s -> new NamedSet(s.name(), s.keyType(), s.interval(), NftText.effectiveComment(s.comment()),
                        s.elements().stream().map(e -> new SetElement(e.key(), List.of(), NftText.effectiveComment(e)))
                                .sorted().toList()))
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

    private static void execute(Table[] holder, String line) throws Refused {
        Matcher m;
        if ((m = ADD_TABLE.matcher(line)).matches()) {
            if (holder[0] == null) {
                holder[0] = new Table();
                holder[0].comment = m.group(1) == null ? "" : m.group(1);
            }
            return;
        }
        Table t = holder[0];
        if (t == null) {
            throw new Refused("Could not process rule: No such file or directory (no table " + T + ")");
        }
        if ((m = ADD_SET.matcher(line)).matches()) {
            List<KeyType> type = Arrays.stream(m.group(2).split(" \\. ")).map(FakeNftExecutor::keyType).toList();
            boolean interval = m.group(3) != null;
            FakeSet old = t.sets.get(m.group(1));
            if (t.maps.containsKey(m.group(1)) || old != null && (!old.type.equals(type) || old.interval != interval)) {
                throw new Refused("Could not process rule: File exists");
            }
            if (old == null) {
                t.sets.put(m.group(1), new FakeSet(m.group(1), type, interval, nonNull(m.group(4)), new LinkedHashMap<>()));
            }
        } else if ((m = ADD_MAP.matcher(line)).matches()) {
            KeyType type = keyType(m.group(2));
            FakeMap old = t.maps.get(m.group(1));
            if (t.sets.containsKey(m.group(1)) || old != null && old.type != type) {
                throw new Refused("Could not process rule: File exists");
            }
            if (old == null) {
                t.maps.put(m.group(1), new FakeMap(m.group(1), type, nonNull(m.group(3)), new LinkedHashMap<>()));
            }
        } else if ((m = ELEMENTS.matcher(line)).matches()) {
            boolean add = m.group(1).equals("add");
            String name = m.group(2);
            List<String> items = splitElements(m.group(3));
            if (t.sets.containsKey(name)) {
                FakeSet set = t.sets.get(name);
                for (String item : items) {
                    setElement(set, item, add);
                }
            } else if (t.maps.containsKey(name)) {
                FakeMap map = t.maps.get(name);
                for (String item : items) {
                    mapElement(t, map, item, add);
                }
            } else {
                throw new Refused("Could not process rule: No such file or directory (no set " + name + ")");
            }
        } else if ((m = ADD_CHAIN.matcher(line)).matches()) {
            Optional<BaseHook> hook = m.group(2) == null ? Optional.empty()
                    : Optional.of(new BaseHook(m.group(2), Integer.parseInt(m.group(3))));
            FakeChain old = t.chains.get(m.group(1));
            if (old == null) {
                t.chains.put(m.group(1), new FakeChain(m.group(1), hook, nonNull(m.group(4)), new ArrayList<>()));
            } else if (hook.isPresent() && !hook.equals(old.hook)) {
                throw new Refused("Could not process rule: File exists");
            }
        } else if ((m = FLUSH_CHAIN.matcher(line)).matches()) {
            chain(t, m.group(1)).rules.clear();
        } else if ((m = ADD_RULE.matcher(line)).matches()) {
            FakeChain chain = chain(t, m.group(1));
            String text = m.group(2);
            Matcher c = RULE_COMMENT.matcher(text);
            Rule rule = c.matches() ? Rule.of(c.group(1), c.group(2)) : Rule.of(text, "");
            Matcher ref = SET_REFERENCE.matcher(rule.statement());
            while (ref.find()) {
                if (!t.sets.containsKey(ref.group(1)) && !t.maps.containsKey(ref.group(1))) {
                    throw new Refused("Could not process rule: No such file or directory (no set " + ref.group(1) + ")");
                }
            }
            Matcher jump = JUMP.matcher(rule.statement());
            while (jump.find()) {
                chain(t, jump.group(1));
            }
            chain.rules.add(rule);
        } else if ((m = DELETE.matcher(line)).matches()) {
            String name = m.group(2);
            switch (m.group(1)) {
                case "chain" -> {
                    chain(t, name);
                    boolean jumpedTo = t.maps.values().stream()
                            .anyMatch(map -> map.elements.values().stream().anyMatch(e -> e.chain().equals(name)))
                            || t.chains.values().stream().filter(c -> !c.name.equals(name))
                            .anyMatch(c -> c.rules.stream().anyMatch(r -> jumpsTo(r, name)));
                    if (jumpedTo) {
                        throw new Refused("Could not process rule: Device or resource busy");
                    }
                    t.chains.remove(name);
                }
                case "set", "map" -> {
                    boolean exists = m.group(1).equals("set") ? t.sets.containsKey(name) : t.maps.containsKey(name);
                    if (!exists) {
                        throw new Refused("Could not process rule: No such file or directory");
                    }
                    if (t.chains.values().stream().anyMatch(c -> c.rules.stream().anyMatch(r -> looksUp(r, name)))) {
                        throw new Refused("Could not process rule: Device or resource busy");
                    }
                    t.sets.remove(name);
                    t.maps.remove(name);
                }
                default -> throw new IllegalStateException();
            }
        } else {
            throw new Refused("syntax error: the fake does not know this command");
        }
    }

    private static void setElement(FakeSet set, String item, boolean add) throws Refused {
        Matcher e = ELEMENT.matcher(item);
        if (!e.matches() || e.group(3) != null) {
            throw new Refused("syntax error in element " + item);
        }
        List<KeyPart> key = key(set.type, e.group(1), set.interval);
        if (!add) {
            if (e.group(2) != null || set.elements.remove(key) == null) {
                throw new Refused("Could not process rule: No such file or directory (element does not exist)");
            }
            return;
        }
        if (set.elements.containsKey(key)) {
            return;
        }
        if (set.interval) {
            for (List<KeyPart> other : set.elements.keySet()) {
                if (overlaps(key, other)) {
                    throw new Refused("interval overlaps with an existing one");
                }
            }
        }
        set.elements.put(key, new SetElement(key, List.of(), nonNull(e.group(2))));
    }

    private static void mapElement(Table t, FakeMap map, String item, boolean add) throws Refused {
        Matcher e = ELEMENT.matcher(item);
        if (!e.matches()) {
            throw new Refused("syntax error in element " + item);
        }
        List<KeyPart> key = key(List.of(map.type), e.group(1), false);
        IpAddress address = ((KeyPart.Addresses) key.get(0)).range().first();
        if (!add) {
            if (e.group(2) != null || e.group(3) != null || map.elements.remove(address) == null) {
                throw new Refused("Could not process rule: No such file or directory (element does not exist)");
            }
            return;
        }
        if (e.group(3) == null) {
            throw new Refused("syntax error: a map element needs a verdict");
        }
        chain(t, e.group(3));
        MapElement element = new MapElement(address, e.group(3), nonNull(e.group(2)));
        MapElement old = map.elements.get(address);
        if (old != null && !old.chain().equals(element.chain())) {
            throw new Refused("Could not process rule: File exists");
        }
        if (old == null) {
            map.elements.put(address, element);
        }
    }

    private static FakeChain chain(Table t, String name) throws Refused {
        FakeChain chain = t.chains.get(name);
        if (chain == null) {
            throw new Refused("Could not process rule: No such file or directory (no chain " + name + ")");
        }
        return chain;
    }

    private static boolean jumpsTo(Rule rule, String chain) {
        Matcher m = JUMP.matcher(rule.statement());
        while (m.find()) {
            if (m.group(1).equals(chain)) {
                return true;
            }
        }
        return false;
    }

    private static boolean looksUp(Rule rule, String set) {
        Matcher m = SET_REFERENCE.matcher(rule.statement());
        while (m.find()) {
            if (m.group(1).equals(set)) {
                return true;
            }
        }
        return false;
    }

    /** Two interval elements overlap when every field of one overlaps that field of the other. */
    private static boolean overlaps(List<KeyPart> a, List<KeyPart> b) {
        for (int i = 0; i < a.size(); i++) {
            KeyPart x = a.get(i);
            KeyPart y = b.get(i);
            boolean overlap;
            if (x instanceof KeyPart.Addresses p && y instanceof KeyPart.Addresses q) {
                overlap = p.range().first().compareTo(q.range().last()) <= 0 && q.range().first().compareTo(p.range().last()) <= 0;
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

    private static List<KeyPart> key(List<KeyType> type, String text, boolean interval) throws Refused {
        String[] parts = text.split(" \\. ");
        if (parts.length != type.size()) {
            throw new Refused("datatype mismatch: " + text + " is not a " + type);
        }
        List<KeyPart> key = new ArrayList<>();
        for (int i = 0; i < parts.length; i++) {
            key.add(part(type.get(i), parts[i].strip(), interval));
        }
        return key;
    }

    private static KeyPart part(KeyType type, String text, boolean interval) throws Refused {
        try {
            switch (type) {
                case IPV4_ADDR, IPV6_ADDR -> {
                    IpFamily family = type == KeyType.IPV4_ADDR ? IpFamily.IPV4 : IpFamily.IPV6;
                    IpRange range;
                    if (text.contains("/")) {
                        String[] p = text.split("/");
                        range = IpRange.prefix(IpAddress.parse(p[0]), Integer.parseInt(p[1]));
                    } else if (text.contains("-")) {
                        String[] p = text.split("-");
                        range = new IpRange(IpAddress.parse(p[0]), IpAddress.parse(p[1]));
                    } else {
                        range = IpRange.single(IpAddress.parse(text));
                    }
                    if (range.family() != family) {
                        throw new Refused("datatype mismatch: " + text + " is not a " + type.nftName());
                    }
                    if (!interval && !range.first().equals(range.last())) {
                        throw new Refused("you must add 'flags interval' to your set declaration for " + text);
                    }
                    return new KeyPart.Addresses(range);
                }
                case INET_PROTO -> {
                    for (Protocol p : Protocol.values()) {
                        if (p.nftName().equals(text)) {
                            return new KeyPart.Proto(p);
                        }
                    }
                    throw new Refused("unknown protocol " + text);
                }
                case INET_SERVICE -> {
                    String[] p = text.split("-");
                    int first = Integer.parseInt(p[0]);
                    int last = p.length > 1 ? Integer.parseInt(p[1]) : first;
                    if (!interval && first != last) {
                        throw new Refused("you must add 'flags interval' to your set declaration for " + text);
                    }
                    return new KeyPart.Ports(first, last);
                }
                case MARK -> {
                    return new KeyPart.Mark(Long.decode(text));
                }
                default -> throw new IllegalStateException("key type " + type);
            }
        } catch (IllegalArgumentException e) {
            throw new Refused("syntax error: " + text + ": " + e.getMessage());
        }
    }

    private static KeyType keyType(String name) {
        for (KeyType k : KeyType.values()) {
            if (k.nftName().equals(name.strip())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown type " + name);
    }

    /** Splits {@code a comment "x, y", b} at the commas outside quotes. */
    private static List<String> splitElements(String text) {
        List<String> out = new ArrayList<>();
        boolean quoted = false;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                out.add(text.substring(start, i).strip());
                start = i + 1;
            }
        }
        out.add(text.substring(start).strip());
        return out;
    }

    private static String nonNull(String s) {
        return s == null ? "" : s;
    }
}
