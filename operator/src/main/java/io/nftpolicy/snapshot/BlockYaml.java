package io.nftpolicy.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nftpolicy.snapshot.LocatedTree.Position;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads one item of a YAML List written the way kubectl writes it (block style: one key or entry a line, indented
 * by spaces, plain or quoted scalars that fit on their line, {@code {}} and {@code []} for empty values) into the same
 * located tree as Jackson's YAML parser gives, several times faster: SnakeYAML's scanning was two thirds of reading a
 * 10,000-pod dump (docs/benchmarks.md, "Command-line start-up").
 *
 * <p>It reads a narrow subset and declines anything else, so that what it accepts it reads as SnakeYAML and Jackson
 * do: comments, blank lines, tabs, line breaks other than {@code \n}, anchors, aliases, tags, merge keys, block
 * scalars ({@code |}, {@code >}), flow collections with content, scalars that continue on the next line, complex
 * keys, a key written twice, a plain scalar Jackson would read as anything but a string, a small integer, true,
 * false or null, characters SnakeYAML refuses, a line indented other than by the rules of block mappings and
 * sequences. A declined item is read by Jackson on its own ({@link StreamedList}); {@code BlockYamlTest} checks that
 * both readings give the same tree, with the same places, for what this one accepts.
 */
final class BlockYaml {
    /**
     * Which keys of a mapping go into the tree. A Pod (once its {@code kind} is read) keeps only what
     * {@link PodReader} and {@link ObjectCollector} read: most of a Pod as kubectl prints it (managed fields,
     * containers' settings, volumes, tolerations, statuses) is read by nothing in policy, and building it was half
     * of reading it. Any other kind, and a Pod whose {@code kind} comes after other keys, is kept whole.
     */
    private record Keep(Map<String, Keep> keys) {
        /** Every key, at every depth. */
        static final Keep ALL = new Keep(null);
        /** Nothing: the value is read but not built. */
        static final Keep NONE = new Keep(Map.of());
        /** An item: everything, until {@code kind: Pod}. */
        static final Keep ITEM = new Keep(null);
        private static final Keep PORTS = new Keep(Map.of("ports", ALL));
        static final Keep POD = new Keep(Map.of(
                "apiVersion", ALL,
                "kind", ALL,
                "metadata", new Keep(Map.of("name", ALL, "namespace", ALL, "uid", ALL, "labels", ALL,
                        "creationTimestamp", ALL, "deletionTimestamp", ALL)),
                "spec", new Keep(Map.of("containers", PORTS, "initContainers", PORTS, "nodeName", ALL,
                        "hostNetwork", ALL)),
                "status", new Keep(Map.of("phase", ALL, "podIP", ALL, "podIPs", ALL))));

        Keep child(String key) {
            return keys == null ? ALL : keys.getOrDefault(key, NONE);
        }
    }

    /** The first characters for which SnakeYAML's resolver tries a type: a plain scalar starting otherwise is a string. */
    private static final class TypedFirstCharacters extends Resolver {
        boolean typed(char c) {
            return yamlImplicitResolvers.containsKey(null) || yamlImplicitResolvers.containsKey(c);
        }
    }

    /** Something outside the subset: the item is read by Jackson instead. */
    static final class Declined extends Exception {
        private static final long serialVersionUID = 1L;

        private Declined() {
            super(null, null, false, false); // thrown for control: no stack trace
        }
    }

    private static final Declined DECLINED = new Declined();
    /** SnakeYAML's own resolver, as Jackson's YAML parser uses it: a plain scalar's type is decided the same way. */
    private static final Resolver RESOLVER = new Resolver();
    /** SnakeYAML refuses a simple key longer than this. */
    private static final int MAX_KEY = 1024;
    /** Levels of mappings and sequences read here; deeper items go to Jackson, which applies the real bound. */
    private static final int MAX_DEPTH = 100;
    /** Characters that cannot start a plain scalar or key. */
    private static final String INDICATORS = "-?:,[]{}#&*!|>'\"%@`";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** What a value left out of the tree reads as. */
    private static final JsonNode SKIPPED = NODES.nullNode();
    private static final TypedFirstCharacters TYPED_FIRST = new TypedFirstCharacters();
    /** Strings up to this long are shared ({@link #string}). */
    private static final int MAX_SHARED = 24;

    private final String text;
    private final boolean whole;
    /** End of the text read: the lines of the items end here. */
    private final int end;
    /** Start of the current line, its end (its {@code \n}, or {@link #end}), its indentation; -1 past the end. */
    private int pos;
    private int eol;
    private int indent;
    /** The file's line number of the current line, from 0. */
    private int line;
    /** After a key: where its {@code :} ends. After a quoted scalar: where its closing quote ends. */
    private int after;
    private int depth;
    /** Whether the values read now are left out of the tree ({@link Keep}): read and checked, not built. */
    private boolean skim;
    /** The keys of the mappings being skimmed, innermost last: a key written twice is declined there too. */
    private final List<String> skimmedKeys = new ArrayList<>();
    /** Short strings read before, by hash ({@link #string}). */
    private final String[] shared = new String[1024];

    /**
     * @param text  the text, of which the lines from {@code start} to {@code end} hold items at column 0
     * @param start the start of an item line ({@code - } at column 0)
     * @param line  the file's line number of that line, from 0
     */
    BlockYaml(String text, int start, int end, int line) {
        this(text, start, end, line, false);
    }

    /** @param whole build every value, also those of a Pod that policy does not read ({@link Keep}) */
    BlockYaml(String text, int start, int end, int line, boolean whole) {
        this.whole = whole;
        this.text = text;
        this.end = end;
        this.pos = start;
        this.line = line;
    }

    /** Goes on at {@code start}, the file's line {@code line}: after an item read elsewhere. */
    void moveTo(int start, int line) {
        this.pos = start;
        this.line = line;
    }

    /** Where the next line to read starts: after an item, the next item's first line or the end of the items. */
    int position() {
        return pos;
    }

    /** The file's line number of {@link #position()}, from 0. */
    int line() {
        return line;
    }

    /**
     * Reads the item that starts at {@link #position()} (a line {@code - } at column 0) and moves to the next line at
     * column 0; on {@link Declined} the position is left anywhere.
     */
    JsonNode item() throws Declined {
        startLine();
        if (indent != 0 || !entryAt(pos)) {
            throw DECLINED;
        }
        depth = 0;
        skim = false;
        skimmedKeys.clear();
        JsonNode item = entry(0, whole ? Keep.ALL : Keep.ITEM);
        if (indent > 0) {
            throw DECLINED;
        }
        return item;
    }

    /** Computes the current line's end and indentation; declines blank lines, comment lines and tabs. */
    private void startLine() throws Declined {
        if (pos >= end) {
            indent = -1;
            return;
        }
        int newline = text.indexOf('\n', pos);
        eol = newline < 0 || newline > end ? end : newline;
        int i = pos;
        while (i < eol && text.charAt(i) == ' ') {
            i++;
        }
        if (i == eol || text.charAt(i) == '#' || text.charAt(i) == '\t') {
            throw DECLINED;
        }
        indent = i - pos;
    }

    private void nextLine() throws Declined {
        pos = eol + 1;
        line++;
        startLine();
    }

    /** A block sequence entry, {@code -} followed by a space or the line's end. */
    private boolean entryAt(int i) {
        return text.charAt(i) == '-' && (i + 1 == eol || text.charAt(i + 1) == ' ');
    }

    private Position at(int column) {
        return new Position(line + 1, column + 1);
    }

    /** The node whose first line is the current one, at indentation {@code column}: a sequence or a mapping. */
    private JsonNode block(int column, Keep keep) throws Declined {
        if (++depth > MAX_DEPTH) {
            throw DECLINED;
        }
        JsonNode node = entryAt(pos + column) ? sequence(column, keep) : mapping(column, keep);
        depth--;
        return node;
    }

    /** The entries at indentation {@code column} from the current line on. */
    private JsonNode sequence(int column, Keep keep) throws Declined {
        ArrayNode array = skim ? null : LocatedTree.sequence(at(column));
        do {
            JsonNode entry = entry(column, keep);
            if (!skim) {
                array.add(entry);
            }
        } while (indent == column && entryAt(pos + column));
        if (indent > column) {
            throw DECLINED;
        }
        return skim ? SKIPPED : array;
    }

    /** The entry whose {@code -} is at {@code column} of the current line; moves past it. */
    private JsonNode entry(int column, Keep keep) throws Declined {
        int i = pos + column + 1;
        while (i < eol && text.charAt(i) == ' ') {
            i++;
        }
        if (i == eol) {
            nextLine();
            return indent > column ? block(indent, keep) : empty();
        }
        if (entryAt(i)) {
            throw DECLINED; // a sequence in a sequence on one line
        }
        if (keyAhead(i)) {
            if (++depth > MAX_DEPTH) {
                throw DECLINED;
            }
            JsonNode mapping = mapping(i - pos, keep);
            depth--;
            return mapping;
        }
        JsonNode value = value(i);
        nextLine();
        if (indent > column) {
            throw DECLINED;
        }
        return value;
    }

    /** Whether the line holds a key at {@code i}: a quoted scalar or a plain one followed by {@code :}. */
    private boolean keyAhead(int i) {
        char c = text.charAt(i);
        if (c == '"' || c == '\'') {
            int close = text.indexOf(c, i + 1);
            return close > 0 && close + 1 < eol && text.charAt(close + 1) == ':';
        }
        for (int colon = text.indexOf(':', i); colon >= 0 && colon < eol; colon = text.indexOf(':', colon + 1)) {
            if (colon + 1 == eol || text.charAt(colon + 1) == ' ') {
                return true;
            }
        }
        return false;
    }

    /**
     * The keys at indentation {@code column} from the current line on (the first may follow {@code - }). A key that
     * {@code keep} leaves out is read all the same, so that the item is declined for what Jackson would refuse in it,
     * but its value is neither built nor kept: the key holds null.
     */
    private JsonNode mapping(int column, Keep keep) throws Declined {
        ObjectNode object = skim ? null : LocatedTree.mapping(at(column));
        int keysBefore = skimmedKeys.size();
        while (true) {
            String key = key(pos + column);
            Keep child = keep.child(key);
            boolean outer = skim;
            skim = outer || child == Keep.NONE;
            int v = after;
            while (v < eol && text.charAt(v) == ' ') {
                v++;
            }
            JsonNode value;
            if (v == eol) {
                nextLine();
                if (indent > column) {
                    value = block(indent, child);
                } else if (indent == column && entryAt(pos + column)) {
                    if (++depth > MAX_DEPTH) {
                        throw DECLINED;
                    }
                    value = sequence(column, child); // kubectl writes a sequence under a key at the key's indentation
                    depth--;
                } else {
                    value = empty();
                }
            } else {
                value = value(v);
                nextLine();
                if (indent > column) {
                    throw DECLINED; // a plain scalar going on, or an error
                }
            }
            skim = outer;
            if (skim) {
                // A key written twice: Jackson's reading refuses it, even where nothing is kept.
                for (int k = keysBefore; k < skimmedKeys.size(); k++) {
                    if (skimmedKeys.get(k).equals(key)) {
                        throw DECLINED;
                    }
                }
                skimmedKeys.add(key);
            } else if (object.replace(key, value) != null) {
                throw DECLINED; // written twice: the whole reading reports it
            }
            if (keep == Keep.ITEM && key.equals("kind") && value.isTextual() && value.textValue().equals("Pod")) {
                keep = Keep.POD;
            }
            if (indent < column) {
                skimmedKeys.subList(keysBefore, skimmedKeys.size()).clear();
                return skim ? SKIPPED : object;
            }
            if (entryAt(pos + column)) {
                throw DECLINED;
            }
        }
    }

    /** A key at {@code i}, with {@link #after} set past its {@code :}. */
    private String key(int i) throws Declined {
        char c = text.charAt(i);
        String key;
        int colon;
        if (c == '"' || c == '\'') {
            key = c == '"' ? doubleQuoted(i, true) : singleQuoted(i);
            colon = after;
            if (colon == eol || text.charAt(colon) != ':') {
                throw DECLINED;
            }
        } else {
            if (!plainStart(i)) {
                throw DECLINED;
            }
            colon = plainEnd(i);
            if (colon == eol || text.charAt(colon - 1) == ' ') {
                throw DECLINED; // no key, or "key :"
            }
            key = string(i, colon);
            if (key.equals("<<")) {
                throw DECLINED; // a merge key
            }
        }
        if (colon - i > MAX_KEY || (colon + 1 < eol && text.charAt(colon + 1) != ' ')) {
            throw DECLINED;
        }
        after = colon + 1;
        return key;
    }

    /**
     * The text from {@code start} to {@code end}; a short one that was read before is the same String again. Keys
     * and many values repeat from item to item (apiVersion, kind, labels, TCP, Running): a String used again costs
     * no copy, and its hash, which the tree's maps ask for, is computed once.
     */
    private String string(int start, int end) {
        int length = end - start;
        if (length > MAX_SHARED) {
            return text.substring(start, end);
        }
        int hash = 0;
        for (int i = start; i < end; i++) {
            hash = 31 * hash + text.charAt(i);
        }
        int slot = (hash ^ (hash >>> 11)) & (shared.length - 1);
        String known = shared[slot];
        if (known != null && known.length() == length && text.startsWith(known, start)) {
            return known;
        }
        String string = text.substring(start, end);
        shared[slot] = string;
        return string;
    }

    /** Whether a plain scalar can start at {@code i}: not at an indicator, but at "-", "?" or ":" before a non-space. */
    private boolean plainStart(int i) {
        char c = text.charAt(i);
        if (INDICATORS.indexOf(c) < 0) {
            return true;
        }
        return (c == '-' || c == '?' || c == ':') && i + 1 < eol && text.charAt(i + 1) != ' ';
    }

    /**
     * Where a plain scalar from {@code i} ends: at {@code :} followed by a space or the line's end, or at the line's
     * end. Declines a comment and characters SnakeYAML refuses.
     */
    private int plainEnd(int i) throws Declined {
        for (int j = i; j < eol; j++) {
            char c = text.charAt(j);
            if (c == ':') {
                if (j + 1 == eol || text.charAt(j + 1) == ' ') {
                    return j;
                }
            } else if (c == '#') {
                if (text.charAt(j - 1) == ' ') {
                    throw DECLINED;
                }
            } else if (c < ' ' || c > '~') {
                printable(c);
            }
        }
        return eol;
    }

    /** Declines what SnakeYAML refuses or reads as a line break; tabs, which kubectl does not write plain, too. */
    private static void printable(char c) throws Declined {
        if (c < 0xA0 || c == '\u2028' || c == '\u2029' || c == '\uFEFF' || c > '\uFFFD') {
            throw DECLINED;
        }
    }

    /** The value that starts at {@code i} of the current line and ends with it; null when skimming. */
    private JsonNode value(int i) throws Declined {
        char c = text.charAt(i);
        switch (c) {
            case '"', '\'' -> {
                String value = c == '"' ? doubleQuoted(i, !skim) : singleQuoted(i);
                restIsBlank(after);
                return skim ? SKIPPED : NODES.textNode(value);
            }
            case '{' -> {
                restIsBlank(emptyFlow(i, '}'));
                return skim ? SKIPPED : LocatedTree.mapping(at(flowColumn(i)));
            }
            case '[' -> {
                restIsBlank(emptyFlow(i, ']'));
                return skim ? SKIPPED : LocatedTree.sequence(at(flowColumn(i)));
            }
            default -> {
                if (!plainStart(i)) {
                    throw DECLINED; // anchors, aliases, tags, block scalars, and the rest
                }
                int stop = plainEnd(i);
                if (stop != eol) {
                    throw DECLINED; // "a: b: c"
                }
                while (text.charAt(stop - 1) == ' ') {
                    stop--;
                }
                if (!TYPED_FIRST.typed(c)) {
                    return skim ? SKIPPED : NODES.textNode(string(i, stop)); // a string, whatever follows
                }
                JsonNode value = plain(string(i, stop));
                return skim ? SKIPPED : value;
            }
        }
    }

    /** The column of {@code i}: SnakeYAML counts characters outside the BMP (two Java chars) as one column. */
    private int flowColumn(int i) throws Declined {
        for (int j = pos; j < i; j++) {
            if (Character.isSurrogate(text.charAt(j))) {
                throw DECLINED;
            }
        }
        return i - pos;
    }

    private int emptyFlow(int i, char close) throws Declined {
        if (i + 1 == eol || text.charAt(i + 1) != close) {
            throw DECLINED;
        }
        return i + 2;
    }

    private void restIsBlank(int i) throws Declined {
        for (; i < eol; i++) {
            if (text.charAt(i) != ' ') {
                throw DECLINED;
            }
        }
    }

    /** A value left out ({@code key:} with nothing under it): what Jackson makes of an empty plain scalar. */
    private static JsonNode empty() {
        return NODES.nullNode();
    }

    /** A plain scalar, typed as Jackson's YAML parser types it; declines the types read here rarely. */
    private static JsonNode plain(String value) throws Declined {
        Tag tag = RESOLVER.resolve(NodeId.scalar, value, true);
        if (tag == Tag.STR) {
            return NODES.textNode(value);
        }
        if (tag == Tag.INT && smallDecimal(value)) {
            return NODES.numberNode(Integer.parseInt(value));
        }
        if (tag == Tag.BOOL && (value.equals("true") || value.equals("false"))) {
            return NODES.booleanNode(value.equals("true"));
        }
        if (tag == Tag.NULL) {
            return NODES.nullNode();
        }
        throw DECLINED; // floats, octal, hex, yes/no, timestamps: Jackson's rules, on the item whole
    }

    /** 0, or a decimal integer of up to 9 digits without a leading zero: an int in Jackson's reading too. */
    private static boolean smallDecimal(String value) {
        int start = value.charAt(0) == '-' ? 1 : 0;
        int digits = value.length() - start;
        if (digits < 1 || digits > 9 || (value.charAt(start) == '0' && (digits > 1 || start == 1))) {
            return false;
        }
        for (int i = start; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** A single-quoted scalar on one line, with {@link #after} set past its closing quote. */
    private String singleQuoted(int i) throws Declined {
        StringBuilder value = new StringBuilder();
        for (int j = i + 1; j < eol; j++) {
            char c = text.charAt(j);
            if (c == '\'') {
                if (j + 1 < eol && text.charAt(j + 1) == '\'') {
                    value.append('\'');
                    j++;
                    continue;
                }
                after = j + 1;
                return value.toString();
            }
            if (c < ' ' || c > '~') {
                printable(c);
            }
            value.append(c);
        }
        throw DECLINED; // goes on on the next line
    }

    /**
     * A double-quoted scalar on one line, with {@link #after} set past its closing quote; without escapes and not
     * {@code build}, only checked ("" is returned).
     */
    private String doubleQuoted(int i, boolean build) throws Declined {
        int close = i + 1;
        while (close < eol) {
            char c = text.charAt(close);
            if (c == '"') {
                after = close + 1;
                return build ? string(i + 1, close) : "";
            }
            if (c == '\\') {
                return escaped(i);
            }
            if (c < ' ' || c > '~') {
                printable(c);
            }
            close++;
        }
        throw DECLINED; // goes on on the next line
    }

    /** A double-quoted scalar with escapes: the one-letter ones, and x, u and U with hex digits (what Go writes). */
    private String escaped(int i) throws Declined {
        StringBuilder value = new StringBuilder();
        for (int j = i + 1; j < eol; j++) {
            char c = text.charAt(j);
            if (c == '"') {
                after = j + 1;
                return value.toString();
            }
            if (c != '\\') {
                if (c < ' ' || c > '~') {
                    printable(c);
                }
                value.append(c);
                continue;
            }
            if (++j == eol) {
                throw DECLINED; // an escaped line break
            }
            char e = text.charAt(j);
            switch (e) {
                case '"', '\\', '/', ' ' -> value.append(e);
                case 'n' -> value.append('\n');
                case 't' -> value.append('\t');
                case 'r' -> value.append('\r');
                case '0' -> value.append('\0');
                case 'a' -> value.append('\u0007');
                case 'b' -> value.append('\b');
                case 'v' -> value.append('\u000B');
                case 'f' -> value.append('\f');
                case 'e' -> value.append('\u001B');
                case 'x', 'u', 'U' -> {
                    int length = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                    int code = hex(j + 1, length);
                    if (code > Character.MAX_CODE_POINT || (code >= 0xD800 && code <= 0xDFFF)) {
                        throw DECLINED;
                    }
                    value.appendCodePoint(code);
                    j += length;
                }
                default -> throw DECLINED;
            }
        }
        throw DECLINED; // goes on on the next line
    }

    private int hex(int i, int length) throws Declined {
        if (i + length > eol) {
            throw DECLINED;
        }
        long code = 0;
        for (int j = i; j < i + length; j++) {
            int digit = Character.digit(text.charAt(j), 16);
            if (digit < 0 || text.charAt(j) > 'f') {
                throw DECLINED;
            }
            code = code * 16 + digit;
        }
        return code > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) code;
    }
}
