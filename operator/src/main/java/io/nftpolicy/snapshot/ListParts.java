package io.nftpolicy.snapshot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nftpolicy.snapshot.LocatedTree.Document;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.function.Predicate;

/**
 * Reads the YAML of a {@code kubectl get -o yaml} List in parts, one per processor, at the same time: SnakeYAML
 * reads a few MB a second, and most of a large dump's reading is its scanning.
 *
 * <p>kubectl writes one List whose {@code items:} is a top-level key with its items at column 0, each starting with
 * a line {@code - ...}; other top-level keys ({@code kind: List}, {@code metadata:}) may follow. The file is cut
 * before such lines into the head (up to and with some items), further runs of items, each read as a sequence of
 * its own, and the tail (the keys after the items), and the parts are joined: the same tree as one reading, with
 * the same lines. A line {@code - } at column 0 after {@code items:} can only start an item: a block scalar's
 * lines are indented, and a plain scalar ends before it; inside a quoted scalar or a flow collection it would leave
 * the part before it unterminated, which is an error. Anything else that could make the parts read differently
 * from the whole (an error in any part, anchors, aliases or merge keys, which refer across values, another
 * document) gives up: the caller then reads the file whole, and reports what that reading reports.
 */
final class ListParts {
    private static final String ITEMS = "items:\n";
    private static final String ITEM = "\n- ";
    /** Below this, threads cost more than they save. */
    static final int MIN_LENGTH = 1 << 20;

    private ListParts() {}

    /** The one document of the text, read in parts; null when it cannot be, and the text is to be read whole. */
    static List<Document> read(String text, YAMLFactory factory, int parts) {
        return text.length() < MIN_LENGTH ? null : split(text, factory, parts);
    }

    /** {@link #read} whatever the length. */
    static List<Document> split(String text, YAMLFactory factory, int parts) {
        if (parts < 2) {
            return null;
        }
        int items = text.startsWith(ITEMS) ? 0 : text.indexOf("\n" + ITEMS);
        if (items < 0) {
            return null;
        }
        int itemsStart = items == 0 ? ITEMS.length() : items + 1 + ITEMS.length();
        int lastItem = text.lastIndexOf(ITEM);
        if (!text.startsWith("- ", itemsStart) || lastItem < itemsStart || otherDocument(text, itemsStart)) {
            return null;
        }
        int tail = tailStart(text, lastItem + 1);
        List<Integer> cuts = new ArrayList<>();
        for (int k = 1; k < parts; k++) {
            int cut = text.indexOf(ITEM, itemsStart + (int) ((long) (tail - itemsStart) * k / parts));
            if (cut < 0 || cut + 1 >= tail) {
                break;
            }
            if (cuts.isEmpty() || cut + 1 > cuts.get(cuts.size() - 1)) {
                cuts.add(cut + 1);
            }
        }
        if (cuts.isEmpty()) {
            return null;
        }
        List<FutureTask<Part>> tasks = new ArrayList<>();
        int line = 0;
        int counted = 0;
        for (int i = 0; i < cuts.size(); i++) {
            int start = cuts.get(i);
            int end = i + 1 < cuts.size() ? cuts.get(i + 1) : tail;
            line += lines(text, counted, start);
            counted = start;
            tasks.add(start(factory, text.substring(start, end), line));
        }
        Part head = new Part(factory, text.substring(0, cuts.get(0)), 0);
        head.run();
        Part tailPart = null;
        if (tail < text.length()) {
            tailPart = new Part(factory, text.substring(tail), line + lines(text, counted, tail));
            tailPart.run();
        }
        try {
            List<Part> rest = new ArrayList<>();
            for (FutureTask<Part> task : tasks) {
                rest.add(task.get());
            }
            return join(head, rest, tailPart);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            return null;
        }
    }

    /** A document marker after the items: the file holds more than the List. */
    private static boolean otherDocument(String text, int from) {
        return text.indexOf("\n---", from) >= 0 || text.indexOf("\n...", from) >= 0;
    }

    /** Where the top-level keys after the last item start: the first line at column 0 that continues no item. */
    private static int tailStart(String text, int lastItem) {
        int line = text.indexOf('\n', lastItem);
        while (line >= 0 && line + 1 < text.length()) {
            char c = text.charAt(line + 1);
            if (c != ' ' && c != '\t' && c != '#' && c != '\n' && c != '\r') {
                return line + 1;
            }
            line = text.indexOf('\n', line + 1);
        }
        return text.length();
    }

    private static int lines(String text, int from, int to) {
        int lines = 0;
        for (int i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) {
            lines++;
        }
        return lines;
    }

    private static FutureTask<Part> start(YAMLFactory factory, String text, int lineOffset) {
        Part part = new Part(factory, text, lineOffset);
        FutureTask<Part> task = new FutureTask<>(part, part);
        Thread thread = new Thread(task, "nftpolicy-read");
        thread.setDaemon(true);
        thread.start();
        return task;
    }

    /** The head's List with the items of the other parts and the tail's keys; null when they do not fit. */
    private static List<Document> join(Part head, List<Part> items, Part tail) {
        if (!head.single(JsonNode::isObject) || !(head.root().get("items") instanceof ArrayNode list)) {
            return null;
        }
        for (Part part : items) {
            if (!part.single(JsonNode::isArray)) {
                return null;
            }
            list.addAll((ArrayNode) part.root());
        }
        if (tail != null) {
            if (!tail.single(JsonNode::isObject)) {
                return null;
            }
            ObjectNode root = (ObjectNode) head.root();
            for (Map.Entry<String, JsonNode> key : tail.root().properties()) {
                if (root.has(key.getKey())) {
                    return null; // a duplicate key: the whole reading names it
                }
                root.set(key.getKey(), key.getValue());
            }
        }
        return head.documents;
    }

    /** One part, read into a tree of its own. */
    private static final class Part implements Runnable {
        private final YAMLFactory factory;
        private final String text;
        private final LocatedTree tree;
        private List<Document> documents;

        Part(YAMLFactory factory, String text, int lineOffset) {
            this.factory = factory;
            this.text = text;
            this.tree = new LocatedTree(false, lineOffset);
        }

        @Override
        public void run() {
            try (JsonParser parser = factory.createParser(text)) {
                documents = tree.readAll(parser);
            } catch (Exception e) {
                documents = null; // read whole, the file reports its error
            }
        }

        JsonNode root() {
            return documents.get(0).root();
        }

        /** Whether the part read as one document of the expected shape, without references across values. */
        boolean single(Predicate<JsonNode> shape) {
            return documents != null && documents.size() == 1 && root() != null && shape.test(root())
                    && !tree.sawReferences();
        }
    }
}
