package io.nftpolicy.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import io.nftpolicy.policy.PolicyPort.PortRef;
import io.nftpolicy.snapshot.LocatedTree.Position;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A value of one object of a snapshot file, absent or present: its path from the object ({@code spec.ingress[0]}),
 * and where it starts. Reading it as a type either gives the value or throws a {@link Problem} that names the object,
 * the field and the line. Values are read as the API server's decoder (and Jackson's, with fabric8's model) reads
 * them: a number or boolean is read as its text where a string is expected, a quoted number where an integer is;
 * null reads as absent.
 */
final class Field {
    /** The object being read: its file, its located tree, and how messages name it ({@code Pod shop/web}). */
    record Origin(String file, LocatedTree tree, String what) {}

    /** A value of the wrong type; {@link SnapshotReader} turns it into a {@link SnapshotException}. */
    static final class Problem extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Problem(String message) {
            super(message, null, false, false);
        }
    }

    private final Origin origin;
    private final JsonNode node;
    // Path and place are worked out from the parent only for a message: most values are read, never reported.
    private final Field parent;
    private final Object keyOrIndex;
    private final Position rootStart;

    private Field(Origin origin, JsonNode node, Field parent, Object keyOrIndex, Position rootStart) {
        this.origin = origin;
        this.node = node;
        this.parent = parent;
        this.keyOrIndex = keyOrIndex;
        this.rootStart = rootStart;
    }

    /** The object itself, at its start. */
    static Field root(Origin origin, JsonNode object, Position start) {
        return new Field(origin, object, null, null, start);
    }

    /** The path from the object, e.g. {@code spec.containers[0].ports}. */
    String path() {
        if (parent == null) {
            return "";
        }
        String above = parent.path();
        if (keyOrIndex instanceof Integer index) {
            return above + "[" + index + "]";
        }
        return above.isEmpty() ? (String) keyOrIndex : above + "." + keyOrIndex;
    }

    /** Where the value starts; a value whose start is not known (a YAML merge key copied it) is at its parent's. */
    private Position position() {
        if (parent == null) {
            return rootStart;
        }
        Position above = parent.position();
        Position own = parent.absent() ? Position.UNKNOWN : origin.tree().childStart(parent.node, keyOrIndex);
        return own.known() ? own : above;
    }

    /** The value as parsed, for a reader that takes values of the wrong shape as absent ({@link TierObjectReader}). */
    JsonNode node() {
        return node;
    }

    boolean absent() {
        return node == null || node.isNull();
    }

    /** The value under {@code key}, absent when this mapping has none (or this value is absent). */
    Field get(String key) {
        if (!absent() && !node.isObject()) {
            throw problem("expected a mapping, found " + SnapshotReader.describe(node));
        }
        return new Field(origin, absent() ? null : node.get(key), this, key, null);
    }

    /** The elements of a sequence; none when absent. */
    List<Field> list() {
        if (absent()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw problem("expected a sequence, found " + SnapshotReader.describe(node));
        }
        List<Field> items = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            items.add(new Field(origin, node.get(i), this, i, null));
        }
        return items;
    }

    /** A string, or null when absent. */
    String string() {
        if (absent()) {
            return null;
        }
        if (!node.isValueNode()) {
            throw problem("expected a string, found " + SnapshotReader.describe(node));
        }
        return node.asText();
    }

    /** A sequence of strings as written; null entries (YAML {@code - } with nothing) read as "". */
    List<String> strings() {
        List<String> strings = new ArrayList<>();
        for (Field item : list()) {
            String value = item.string();
            strings.add(value == null ? "" : value);
        }
        return strings;
    }

    /** A mapping of strings (labels): keys in file order, null values (YAML {@code app:}) as "". */
    Map<String, String> stringMap() {
        Map<String, String> map = new LinkedHashMap<>();
        if (absent()) {
            return map;
        }
        if (!node.isObject()) {
            throw problem("expected a mapping, found " + SnapshotReader.describe(node));
        }
        for (Map.Entry<String, JsonNode> entry : node.properties()) {
            String value = get(entry.getKey()).string();
            map.put(entry.getKey(), value == null ? "" : value);
        }
        return map;
    }

    /** An integer, or null when absent. */
    Integer integer() {
        if (absent()) {
            return null;
        }
        if (node.isIntegralNumber() || (node.isFloatingPointNumber() && node.canConvertToExactIntegral())) {
            return checkedInt();
        }
        if (node.isTextual()) {
            try {
                return Integer.valueOf(node.asText().strip());
            } catch (NumberFormatException e) {
                // reported below
            }
        }
        throw problem("expected an integer, found " + SnapshotReader.describe(node));
    }

    /** {@code true} or {@code false}; absent is false. */
    boolean bool() {
        if (absent()) {
            return false;
        }
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isTextual() && (node.asText().equals("true") || node.asText().equals("false"))) {
            return Boolean.parseBoolean(node.asText());
        }
        throw problem("expected true or false, found " + SnapshotReader.describe(node));
    }

    /** A port given as a number or a name (Kubernetes' IntOrString); empty when absent. */
    Optional<PortRef> portRef() {
        if (absent()) {
            return Optional.empty();
        }
        if (node.isIntegralNumber()) {
            return Optional.of(new PortRef.Number(checkedInt()));
        }
        if (node.isTextual()) {
            return Optional.of(new PortRef.Named(node.asText()));
        }
        throw problem("expected a number or a name, found " + SnapshotReader.describe(node));
    }

    private int checkedInt() {
        if (!node.canConvertToInt()) {
            // 4294967297 as a port: the API server refuses it while decoding, as here.
            throw problem("number " + node.asText() + " is out of range"
                    + (path().toLowerCase(Locale.ROOT).endsWith("port") ? " (a port is 1-65535)" : ""));
        }
        return node.intValue();
    }

    Problem problem(String problem) {
        String path = path();
        return new Problem(SnapshotReader.at(origin.file(), position()) + origin.what() + ": "
                + (path.isEmpty() ? "" : path + ": ") + problem);
    }
}
