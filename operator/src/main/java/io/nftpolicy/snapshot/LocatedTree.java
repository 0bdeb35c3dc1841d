package io.nftpolicy.snapshot;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Jackson trees of every document of a YAML or JSON stream that remember where values start, so that a problem
 * found after parsing (a missing name, a value of the wrong type) can still be reported as {@code line:column}.
 *
 * <p>A tree made to read remembers only where each mapping and sequence starts, which costs nothing but a field of
 * the node: most of a large file's values are read once and never reported. A tree made to report remembers where
 * every value starts and names the first of two duplicate keys; {@link SnapshotReader} reads a file again that way
 * when it has a problem to report, so that the message is as exact as if every file were read so.
 */
final class LocatedTree {
    /** One root value of the stream: a YAML document, or one top-level JSON value. */
    record Document(int index, JsonNode root, Position start) {}

    /** 1-based line and column; 0 when unknown. */
    record Position(int line, int column) {
        static final Position UNKNOWN = new Position(0, 0);

        static Position of(JsonLocation location) {
            if (location == null || location.getLineNr() <= 0) {
                return UNKNOWN;
            }
            return new Position(location.getLineNr(), Math.max(location.getColumnNr(), 0));
        }

        boolean known() {
            return line > 0;
        }

        /** {@code line:column}, or just {@code line} when the column is unknown. */
        String format() {
            return column > 0 ? line + ":" + column : Integer.toString(line);
        }
    }

    /**
     * Something the parser accepts but kubectl does not, or that would be misread: a key that appears twice in one
     * mapping (the parser would keep either), an alias without its anchor.
     */
    static final class TreeException extends Exception {
        private static final long serialVersionUID = 1L;
        final transient Position position;

        TreeException(String message, Position position) {
            super(message);
            this.position = position;
        }
    }

    /** YAML's merge key: {@code <<: *defaults} copies the keys of the anchored mapping that are not written. */
    private static final String MERGE_KEY = "<<";

    /**
     * Values that aliases may copy into the tree, all aliases together. Expanding is this class's doing (Jackson
     * hands aliases over unexpanded, so SnakeYAML's own alias limit never applies): without a bound, a few nested
     * aliases (a "billion laughs" of 787 bytes) expand to billions of values. kubectl's output has no aliases.
     */
    static final long MAX_ALIAS_VALUES = 100_000;

    /**
     * Levels of mappings and sequences, well above what a Kubernetes object needs (a pod in a List: some 15) and
     * well below what the recursive reading here can take on a default thread stack.
     */
    static final int MAX_DEPTH = 200;

    /** A mapping that knows where it starts. */
    private static final class LocatedObject extends ObjectNode {
        private static final long serialVersionUID = 1L;
        final transient Position start;

        LocatedObject(Position start) {
            super(JsonNodeFactory.instance);
            this.start = start;
        }
    }

    /** A sequence that knows where it starts. */
    private static final class LocatedArray extends ArrayNode {
        private static final long serialVersionUID = 1L;
        final transient Position start;

        LocatedArray(Position start) {
            super(JsonNodeFactory.instance);
            this.start = start;
        }
    }

    private final JsonNodeFactory nodes = JsonNodeFactory.instance;
    private final boolean everyValue;
    /** Lines before the text read: a part of a file ({@link ListParts}) reports the file's lines. */
    private final int lineOffset;
    /** Whether an anchor, alias or merge key was read: they refer across values (see {@link ListParts}). */
    private boolean references;
    /** Where each key's value or element starts, by container: only in a tree made to report. */
    private final Map<JsonNode, Map<Object, Position>> children = new IdentityHashMap<>();
    private final Map<String, JsonNode> anchors = new HashMap<>();
    private final Map<String, Long> anchorSizes = new HashMap<>();
    private long aliasValues;
    private int depth;

    /** @param everyValue remember where every value starts (to report a problem), not only mappings and sequences */
    LocatedTree(boolean everyValue) {
        this(everyValue, 0);
    }

    /** A tree made to read a part of a file that starts after {@code lineOffset} lines. */
    LocatedTree(boolean everyValue, int lineOffset) {
        this.everyValue = everyValue;
        this.lineOffset = lineOffset;
    }

    boolean sawReferences() {
        return references;
    }

    private Position position(JsonParser parser) {
        Position position = Position.of(parser.currentTokenLocation());
        return lineOffset == 0 || !position.known() ? position
                : new Position(position.line() + lineOffset, position.column());
    }

    /** Reads every root value of the stream. Empty YAML documents come back with a null root. */
    List<Document> readAll(JsonParser parser) throws IOException, TreeException {
        List<Document> documents = new ArrayList<>();
        while (parser.nextToken() != null) {
            Position start = position(parser);
            JsonNode root = read(parser);
            // An empty YAML document (a stray "---") comes as null or as an empty plain scalar.
            boolean empty = root.isNull() || (root.isTextual() && root.asText().isEmpty());
            documents.add(new Document(documents.size() + 1, empty ? null : root, start));
        }
        return documents;
    }

    /**
     * Reads the value at the parser's current token into a tree of its own, one value of a stream that is read a
     * value at a time ({@link StreamedList}): the value lies {@code depthAbove} levels deep in its document, which
     * counts against {@link #MAX_DEPTH} as in a reading of the whole document.
     */
    JsonNode readNested(JsonParser parser, int depthAbove) throws IOException, TreeException {
        depth = depthAbove;
        try {
            return read(parser);
        } finally {
            depth = 0;
        }
    }

    /** An empty mapping that starts at {@code start}, for a reader that builds the tree itself ({@link BlockYaml}). */
    static ObjectNode mapping(Position start) {
        return new LocatedObject(start);
    }

    /** An empty sequence that starts at {@code start}, for a reader that builds the tree itself. */
    static ArrayNode sequence(Position start) {
        return new LocatedArray(start);
    }

    /** Where a value starts: known for mappings and sequences, unknown for the others. */
    static Position start(JsonNode value) {
        if (value instanceof LocatedObject object) {
            return object.start;
        }
        return value instanceof LocatedArray array ? array.start : Position.UNKNOWN;
    }

    /**
     * Where the value of a mapping's key, or a sequence's element, starts; in a tree made to read, known only when
     * that value is a mapping or sequence.
     */
    Position childStart(JsonNode container, Object keyOrIndex) {
        Map<Object, Position> known = children.get(container);
        if (known != null) {
            return known.getOrDefault(keyOrIndex, Position.UNKNOWN);
        }
        JsonNode child = keyOrIndex instanceof Integer index ? container.get(index) : container.get((String) keyOrIndex);
        return child == null ? Position.UNKNOWN : start(child);
    }

    private JsonNode read(JsonParser parser) throws IOException, TreeException {
        if (parser instanceof YAMLParser yaml) {
            // Jackson reports an alias as a string holding the anchor's name; kubectl expands it.
            if (yaml.isCurrentAlias()) {
                references = true;
                Position start = position(parser);
                JsonNode anchored = anchors.get(yaml.getText());
                if (anchored == null) {
                    throw new TreeException("alias *" + yaml.getText() + " has no anchor &" + yaml.getText()
                            + " before it", start);
                }
                aliasValues += anchorSizes.get(yaml.getText());
                if (aliasValues > MAX_ALIAS_VALUES) {
                    throw new TreeException("aliases expand to more than " + MAX_ALIAS_VALUES
                            + " values (nested aliases multiply; kubectl writes none)", start);
                }
                return anchored.deepCopy();
            }
            String anchor = yaml.getCurrentAnchor();
            JsonNode node = readValue(parser, start(parser));
            if (anchor != null) {
                references = true;
                anchors.put(anchor, node);
                anchorSizes.put(anchor, size(node));
            }
            return node;
        }
        return readValue(parser, start(parser));
    }

    /** Where the current value starts; for a scalar, asked of the parser only when every value is remembered. */
    private Position start(JsonParser parser) {
        JsonToken token = parser.currentToken();
        return everyValue || token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY
                ? position(parser) : Position.UNKNOWN;
    }

    /** The number of values in the tree: a mapping or sequence counts one, plus its contents. */
    private static long size(JsonNode node) {
        long size = 1;
        for (JsonNode child : node) {
            size += size(child);
        }
        return size;
    }

    /** Applies {@code <<: *a} or {@code <<: [*a, *b]}: keys written in the mapping win, then earlier sources. */
    private static void merge(ObjectNode object, Map<Object, Position> positions) throws TreeException {
        JsonNode sources = object.remove(MERGE_KEY);
        Position at = positions == null ? Position.UNKNOWN : positions.remove(MERGE_KEY);
        List<JsonNode> list = new ArrayList<>();
        if (sources.isArray()) {
            sources.forEach(list::add);
        } else {
            list.add(sources);
        }
        for (JsonNode source : list) {
            if (!source.isObject()) {
                throw new TreeException("merge key << needs a mapping or a sequence of mappings", at);
            }
            for (Map.Entry<String, JsonNode> field : source.properties()) {
                if (!object.has(field.getKey())) {
                    object.set(field.getKey(), field.getValue());
                    if (positions != null) {
                        positions.put(field.getKey(), at);
                    }
                }
            }
        }
    }

    private JsonNode readValue(JsonParser parser, Position start) throws IOException, TreeException {
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
            if (depth == MAX_DEPTH) {
                throw new TreeException("values nested deeper than " + MAX_DEPTH + " levels", start);
            }
            depth++;
            try {
                return readContainer(parser, token, start);
            } finally {
                depth--;
            }
        }
        return readScalar(parser, token);
    }

    private JsonNode readContainer(JsonParser parser, JsonToken token, Position start) throws IOException, TreeException {
        switch (token) {
            case START_OBJECT -> {
                ObjectNode object = new LocatedObject(start);
                Map<Object, Position> positions = everyValue ? new HashMap<>() : null;
                if (everyValue) {
                    children.put(object, positions);
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    parser.nextToken();
                    Position valueStart = everyValue ? position(parser) : Position.UNKNOWN;
                    JsonNode value = read(parser);
                    if (object.has(key)) {
                        throw new TreeException("duplicate key \"" + key + "\" (first at line "
                                + (everyValue ? positions.get(key).line() : 0) + ")", valueStart);
                    }
                    if (everyValue) {
                        positions.put(key, valueStart);
                    }
                    object.set(key, value);
                }
                if (parser instanceof YAMLParser && object.has(MERGE_KEY)) {
                    references = true;
                    merge(object, positions);
                }
                return object;
            }
            case START_ARRAY -> {
                ArrayNode array = new LocatedArray(start);
                Map<Object, Position> positions = everyValue ? new HashMap<>() : null;
                if (everyValue) {
                    children.put(array, positions);
                }
                while (parser.nextToken() != JsonToken.END_ARRAY) {
                    if (everyValue) {
                        positions.put(array.size(), position(parser));
                    }
                    array.add(read(parser));
                }
                return array;
            }
            default -> throw new IllegalStateException("not a container: " + token);
        }
    }

    private JsonNode readScalar(JsonParser parser, JsonToken token) throws IOException {
        switch (token) {
            case VALUE_STRING -> {
                return nodes.textNode(parser.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (parser.getNumberType()) {
                    case INT -> nodes.numberNode(parser.getIntValue());
                    case LONG -> nodes.numberNode(parser.getLongValue());
                    default -> nodes.numberNode(parser.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                try {
                    return nodes.numberNode(parser.getDecimalValue());
                } catch (NumberFormatException | com.fasterxml.jackson.core.exc.InputCoercionException e) {
                    return nodes.textNode(parser.getText()); // YAML .inf, .nan: not a number policy reads
                }
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return nodes.booleanNode(token == JsonToken.VALUE_TRUE);
            }
            case VALUE_NULL -> {
                return nodes.nullNode();
            }
            default -> {
                // VALUE_EMBEDDED_OBJECT (YAML !!binary and the like): nothing policy reads; keep its text.
                return nodes.textNode(parser.getText());
            }
        }
    }
}
