package io.nftpolicy.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import io.nftpolicy.snapshot.LocatedTree.Position;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Walks values of a snapshot file, flattening Lists, and keeps the objects policy reads, in file order: each through
 * the {@link KindReader} of its kind, after checking kind, apiVersion, metadata.name and that it appears once.
 */
final class ObjectCollector {
    private final String file;
    private final LocatedTree tree;
    private final SnapshotBuilder records = new SnapshotBuilder();
    private final List<String> warnings = new ArrayList<>();
    private final Map<String, Position> seen = new HashMap<>();

    /** @param tree the tree the values come from, which knows where they start */
    ObjectCollector(String file, LocatedTree tree) {
        this.file = file;
        this.tree = tree;
    }

    /** One value that should be an object or a list of them; {@code where} names it for messages. */
    void value(JsonNode node, Position position, String where) throws SnapshotException {
        if (node.isArray()) {
            items(node, where);
        } else if (!node.isObject()) {
            throw error(position, where, "expected a Kubernetes object (a mapping), found "
                    + SnapshotReader.describe(node));
        } else {
            object(node, position, where);
        }
    }

    /**
     * Adds what another collector found in a later part of the same file; false, adding nothing, when that part
     * holds an object this one already has (the whole file's reading names both places).
     */
    boolean append(ObjectCollector later) {
        for (String object : later.seen.keySet()) {
            if (seen.containsKey(object)) {
                return false;
            }
        }
        seen.putAll(later.seen);
        records.append(later.records);
        warnings.addAll(later.warnings);
        return true;
    }

    SnapshotFile result() {
        return new SnapshotFile(records.snapshot(), records.diagnostics, warnings);
    }

    private void items(JsonNode array, String where) throws SnapshotException {
        for (int i = 0; i < array.size(); i++) {
            JsonNode item = array.get(i);
            String itemWhere = (where.isEmpty() ? "" : where + " ") + "items[" + i + "]";
            if (!item.isNull()) {
                value(item, tree.childStart(array, i), itemWhere);
            }
        }
    }

    private void object(JsonNode node, Position position, String where) throws SnapshotException {
        JsonNode kindNode = node.path("kind");
        if (!kindNode.isTextual() || kindNode.asText().isEmpty()) {
            throw error(position, where, "object has no kind");
        }
        String kind = kindNode.asText();
        if (node.has("items") && isList(kind)) {
            JsonNode items = node.get("items");
            if (items.isNull()) {
                return;
            }
            if (!items.isArray()) {
                throw error(tree.childStart(node, "items"), where, kind + ": items must be a sequence, found "
                        + SnapshotReader.describe(items));
            }
            items(items, where);
            return;
        }
        KindReader reader = SnapshotReader.READERS.get(kind);
        if (reader == null) {
            return; // Services, Deployments, ...: nothing policy reads
        }
        String name = text(node.path("metadata").path("name"));
        if (name.isEmpty()) {
            throw error(position, where, kind + " has no metadata.name");
        }
        String namespace = text(node.path("metadata").path("namespace"));
        String ref = !reader.namespaced() ? name
                : (namespace.isEmpty() ? SnapshotConverter.DEFAULT_NAMESPACE : namespace) + "/" + name;
        String apiVersion = text(node.path("apiVersion"));
        if (!apiVersion.isEmpty() && !reader.apiVersions().contains(apiVersion)) {
            warnings.add(SnapshotReader.at(file, position) + kind + " " + ref + " of apiVersion " + apiVersion
                    + " skipped: only " + reader.apiVersionsText() + " " + kind + " objects are read");
            return;
        }
        Position first = seen.putIfAbsent(kind + " " + ref, position);
        if (first != null) {
            throw error(position, "", kind + " " + ref + " appears twice (first at line " + first.line() + ")");
        }
        try {
            reader.reading().accept(Field.root(new Field.Origin(file, tree, kind + " " + ref), node, position), records);
        } catch (Field.Problem e) {
            throw new SnapshotException(e.getMessage(), e);
        }
    }

    /** Whether an object of this kind with {@code items} is a list of objects ({@code List}, {@code PodList}). */
    static boolean isList(String kind) {
        return kind.endsWith("List");
    }

    private SnapshotException error(Position position, String where, String problem) {
        return new SnapshotException(SnapshotReader.at(file, position) + (where.isEmpty() ? "" : where + ": ") + problem);
    }

    private static String text(JsonNode node) {
        return node.isValueNode() && !node.isNull() ? node.asText() : "";
    }
}
