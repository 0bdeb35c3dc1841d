package io.nftpolicy.snapshot;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nftpolicy.snapshot.ListParts.Part;
import io.nftpolicy.snapshot.ListParts.Role;
import io.nftpolicy.snapshot.LocatedTree.Document;
import io.nftpolicy.snapshot.LocatedTree.Position;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads the Namespaces, Pods, NetworkPolicies, ClusterNetworkPolicies and Nodes of a snapshot file straight into the
 * compiler's records.
 *
 * <p>The file is what {@code kubectl get namespaces,pods,networkpolicies -A -o yaml} prints (a {@code kind: List}),
 * or a multi-document YAML of objects, or the same as JSON. Lists are flattened, at any depth; objects of other kinds
 * (Services, Deployments, ...) are skipped. Every error is one line naming the file and, when known, line:column,
 * and for a value of the wrong type the object and field. Each kind has its {@link KindReader}; values are carried
 * over as written, and the compiler validates policies.
 *
 * <p>A List (what kubectl prints) is read item by item into records ({@link StreamedList}); any other file, and a
 * List with a problem, is read whole into a tree first, which reports problems at their exact place.
 */
public final class SnapshotReader {
    /** The kinds policy reads, by kind. */
    static final Map<String, KindReader> READERS = Stream.of(
                    new KindReader("Namespace", List.of("v1"), false, NamespaceReader::read),
                    new KindReader("Pod", List.of("v1"), true, PodReader::read),
                    new KindReader("NetworkPolicy", List.of("networking.k8s.io/v1"), true, NetworkPolicyReader::read),
                    new KindReader("ClusterNetworkPolicy", TierObjectReader.CLUSTER_POLICY_VERSIONS, false,
                            (object, into) -> into.clusterPolicies.add(TierObjectReader.clusterPolicy(object.node()))),
                    new KindReader("Node", List.of("v1"), false,
                            (object, into) -> into.nodes.add(TierObjectReader.node(object.node()))))
            .collect(Collectors.toUnmodifiableMap(KindReader::kind, Function.identity()));

    /** Threads that read parts of a large YAML List at the same time ({@link ListParts}). */
    private static final int PARTS = Math.min(Runtime.getRuntime().availableProcessors(), 4);

    private final JsonFactory jsonFactory = JsonFactory.builder().build();
    private final YAMLFactory yamlFactory;

    public SnapshotReader() {
        LoaderOptions loader = new LoaderOptions();
        // SnakeYAML refuses documents over 3 MB by default; kubectl dumps of real clusters are larger.
        loader.setCodePointLimit(Integer.MAX_VALUE);
        yamlFactory = YAMLFactory.builder().loaderOptions(loader).build();
    }

    /** Reads a file; its name in messages is the path as given. */
    public SnapshotFile read(Path file) throws SnapshotException {
        String name = file.toString();
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new SnapshotException(name + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new SnapshotException(name + ": permission denied", e);
        } catch (IOException e) {
            if (Files.isDirectory(file)) {
                throw new SnapshotException(name + ": is a directory, not a file", e);
            }
            throw new SnapshotException(name + ": cannot read: " + e.getMessage(), e);
        }
        return read(name, content);
    }

    /** Reads content that came from elsewhere (standard input, a test); {@code name} is used in messages. */
    public SnapshotFile read(String name, byte[] content) throws SnapshotException {
        String text = decode(name, content);
        boolean json = looksLikeJson(text);
        if (!json) {
            checkLineLengths(name, text);
        }
        List<Part> parts = json ? null : ListParts.cut(text, PARTS);
        // UTF-8 of the same length as its text is all ASCII (any other character takes more bytes than chars).
        byte[] ascii = json && content.length == text.length() ? content : null;
        SnapshotFile streamed = StreamedList.read(name, json ? jsonFactory : yamlFactory,
                parts != null ? parts : List.of(new Part(Role.HEAD, text, 0)), ascii);
        return streamed != null ? streamed : readAsTree(name, text, json);
    }

    /** Reads content whole as a tree, never item by item: what {@link StreamedList} agrees with. */
    SnapshotFile readAsTree(String name, byte[] content) throws SnapshotException {
        String text = decode(name, content);
        return readAsTree(name, text, looksLikeJson(text));
    }

    private SnapshotFile readAsTree(String name, String text, boolean json) throws SnapshotException {
        try {
            return read(name, text, json, new LocatedTree(false));
        } catch (SnapshotException problem) {
            // Read again, remembering where every value starts: the same problem, reported at its exact place.
            read(name, text, json, new LocatedTree(true));
            throw problem;
        }
    }

    /** Reads the file whole, as a tree of every document. */
    private SnapshotFile read(String name, String text, boolean json, LocatedTree tree) throws SnapshotException {
        List<Document> documents = readWhole(name, text, json, tree);
        if (documents.stream().allMatch(d -> d.root() == null)) {
            throw new SnapshotException(name + ": no Kubernetes objects in the file (it is empty)");
        }
        ObjectCollector collector = new ObjectCollector(name, tree);
        boolean multi = documents.size() > 1;
        for (Document document : documents) {
            if (document.root() != null) {
                collector.value(document.root(), document.start(), multi ? "document " + document.index() : "");
            }
        }
        return collector.result();
    }

    private List<Document> readWhole(String name, String text, boolean json, LocatedTree tree)
            throws SnapshotException {
        try (JsonParser parser = json ? jsonFactory.createParser(text) : yamlFactory.createParser(text)) {
            return tree.readAll(parser);
        } catch (LocatedTree.TreeException e) {
            throw new SnapshotException(at(name, e.position) + e.getMessage(), e);
        } catch (StreamConstraintsException e) {
            // Jackson's bounds (nesting depth, number and string lengths); its message names its own API.
            throw new SnapshotException(at(name, Position.of(e.getLocation()))
                    + e.getOriginalMessage().replaceAll(", from `[^`]*`", ""), e);
        } catch (JsonProcessingException e) {
            throw new SnapshotException(syntaxError(name, e), e);
        } catch (IOException e) {
            throw new SnapshotException(name + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String decode(String name, byte[] content) throws SnapshotException {
        // The String constructor decodes with the JDK's intrinsics, several times faster than a CharsetDecoder, but
        // replaces what is not UTF-8 with U+FFFD: a text without U+FFFD was valid, one with it is decoded again
        // strictly, which tells a file that holds the character from one that is not UTF-8.
        String text = new String(content, StandardCharsets.UTF_8);
        if (text.indexOf('\uFFFD') >= 0) {
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(content))
                        .toString();
            } catch (CharacterCodingException e) {
                throw new SnapshotException(name + ": not a YAML or JSON file (not UTF-8 text)", e);
            }
        }
        return text.startsWith("\uFEFF") ? text.substring(1) : text;
    }

    /**
     * SnakeYAML scans a long line in time quadratic in its length (a 10 MB scalar: 14 s; 1 MiB: 0.3 s). No field of
     * the objects read here comes near the bound: the API server keeps an object under 1.5 MB and all of an object's
     * annotations under 256 KiB. JSON, read by Jackson alone, has no such limit.
     */
    static final int MAX_YAML_LINE = 1 << 20;

    private static void checkLineLengths(String name, String text) throws SnapshotException {
        int line = 1;
        for (int start = 0; start <= text.length(); line++) {
            int end = text.indexOf('\n', start); // a search, not a loop over characters: this runs interpreted
            end = end < 0 ? text.length() : end;
            if (end - start > MAX_YAML_LINE) {
                throw new SnapshotException(name + ":" + line + ": line of " + (end - start) + " characters, over the "
                        + MAX_YAML_LINE + " a YAML snapshot may have (no field of a Kubernetes object is that long)");
            }
            start = end + 1;
        }
    }

    private static boolean looksLikeJson(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isWhitespace(c)) {
                return c == '{' || c == '[';
            }
        }
        return false;
    }

    static String at(String name, Position position) {
        return position.known() ? name + ":" + position.format() + ": " : name + ": ";
    }

    /** {@code file:line:column: problem}, from a SnakeYAML error when there is one underneath, else Jackson's. */
    static String syntaxError(String name, JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
                Mark mark = yaml.getProblemMark();
                String message = at(name, new Position(mark.getLine() + 1, mark.getColumn() + 1)) + yaml.getProblem();
                Mark contextMark = yaml.getContextMark();
                if (yaml.getContext() != null && contextMark != null) {
                    message += " (" + yaml.getContext() + " at " + (contextMark.getLine() + 1) + ":"
                            + (contextMark.getColumn() + 1) + ")";
                }
                return message;
            }
        }
        return at(name, Position.of(e.getLocation())) + e.getOriginalMessage();
    }

    /** How a value found in the file reads in a message. */
    static String describe(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        }
        if (node.isArray()) {
            return "a sequence";
        }
        if (node.isNull()) {
            return "null";
        }
        if (node.isTextual()) {
            return "\"" + node.asText() + "\"";
        }
        return node.asText();
    }
}
