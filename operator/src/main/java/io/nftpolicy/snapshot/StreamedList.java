package io.nftpolicy.snapshot;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.nftpolicy.snapshot.ListParts.Part;
import io.nftpolicy.snapshot.ListParts.Role;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * The quick reading of a List, the shape {@code kubectl get -o yaml} and {@code -o json} print: the List's items are
 * taken from the parser's token stream one at a time, each read into a small tree of its own and turned into records
 * at once. No tree of the whole file is ever held: for a 10,000-pod dump that tree was some 100 MB, which every young
 * collection copied again. The parts of a large YAML List ({@link ListParts}) are read at the same time, each on its
 * own thread turning its own items into records, and the records are joined in file order; a large file read in one
 * part (JSON) turns its items into records on a second thread while the parser reads on.
 *
 * <p>Anything else gives up, and so does any problem: another shape (a single object, several documents, a List
 * whose {@code items} is not a sequence), anchors, aliases and merge keys (they refer across items), a key written
 * twice, an object twice, a value of the wrong type. {@link SnapshotReader} then reads the file whole, as a tree,
 * which reports the problem with the file's line and the object's field, or accepts what this reading would not
 * take. For what both accept, both give the same records, warnings and diagnostics ({@code StreamedListTest}).
 */
final class StreamedList {
    private static final String ITEMS = "items";
    private static final String MERGE_KEY = "<<";
    /** Levels above an item in a whole reading: the List's mapping and its items' sequence. */
    private static final int ITEM_DEPTH = 2;

    private StreamedList() {}

    /** The objects of a file given as the parts of one List, in file order; null when it is to be read whole. */
    static SnapshotFile read(String file, JsonFactory factory, List<Part> parts) {
        return read(file, factory, parts, null);
    }

    /**
     * {@link #read(String, JsonFactory, List)} of a file in one part whose bytes are all ASCII, given as
     * {@code ascii}: Jackson parses bytes faster than the characters of a String, which it copies first, and with
     * ASCII its columns are the same.
     */
    static SnapshotFile read(String file, JsonFactory factory, List<Part> parts, byte[] ascii) {
        List<PartReading> readings = new ArrayList<>();
        List<FutureTask<PartReading>> others = new ArrayList<>();
        // A large file read in one part (JSON, which has no lines to cut at) turns its items into records on a
        // second thread while the parser reads on.
        boolean convertAside = parts.size() == 1 && parts.get(0).text().length() >= ListParts.MIN_LENGTH;
        for (Part part : parts) {
            PartReading reading = new PartReading(file, factory, part, parts.size() == 1 ? ascii : null,
                    parts.size() == 1, convertAside);
            readings.add(reading);
            if (part.role() == Role.ITEMS) {
                FutureTask<PartReading> task = new FutureTask<>(reading, reading);
                Thread thread = new Thread(task, "nftpolicy-read");
                thread.setDaemon(true);
                thread.start();
                others.add(task);
            }
        }
        for (PartReading reading : readings) {
            if (reading.part.role() != Role.ITEMS) {
                reading.run();
            }
        }
        try {
            for (FutureTask<PartReading> task : others) {
                task.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException e) {
            return null;
        }
        return join(readings);
    }

    /** The head's objects with those of the other parts, when every part read and they make one List. */
    private static SnapshotFile join(List<PartReading> readings) {
        PartReading head = readings.get(0);
        if (readings.stream().anyMatch(r -> !r.read) || head.part.role() != Role.HEAD || !head.items) {
            return null;
        }
        Map<String, JsonNode> keys = new LinkedHashMap<>(head.keys);
        for (PartReading later : readings.subList(1, readings.size())) {
            for (Map.Entry<String, JsonNode> key : later.keys.entrySet()) {
                if (keys.putIfAbsent(key.getKey(), key.getValue()) != null) {
                    return null;
                }
            }
            if (!head.objects.append(later.objects)) {
                return null;
            }
        }
        JsonNode kind = keys.get("kind");
        if (kind == null || !kind.isTextual() || !ObjectCollector.isList(kind.asText())) {
            return null;
        }
        return head.objects.result();
    }

    /** One part of the file, read on its own: the List's keys other than items as trees, the items as records. */
    private static final class PartReading implements Runnable {
        private final JsonFactory factory;
        private final Part part;
        private final LocatedTree tree;
        private final ObjectCollector objects;
        /** The List's keys in this part, but items. */
        private final Map<String, JsonNode> keys = new LinkedHashMap<>();
        /** Whether the part holds the List's items key. */
        private boolean items;
        /** Whether the part read as expected, with no problem. */
        private boolean read;
        /** The part's text as bytes, when they are all ASCII; else null. */
        private final byte[] ascii;
        /** Whether the part is the whole file. */
        private final boolean alone;
        /** Items on their way to the thread that turns them into records; null when this thread does. */
        private final Converter converter;

        PartReading(String file, JsonFactory factory, Part part, byte[] ascii, boolean alone, boolean convertAside) {
            this.factory = factory;
            this.ascii = ascii;
            this.part = part;
            this.alone = alone;
            this.tree = new LocatedTree(false, part.lineOffset());
            this.objects = new ObjectCollector(file, tree);
            this.converter = convertAside ? new Converter(objects) : null;
        }

        @Override
        public void run() {
            FutureTask<Boolean> converted = null;
            if (converter != null) {
                converted = new FutureTask<>(converter);
                Thread thread = new Thread(converted, "nftpolicy-convert");
                thread.setDaemon(true);
                thread.start();
            }
            try {
                Boolean lines = factory instanceof YAMLFactory ? readLines() : null;
                if (lines != null) {
                    read = lines;
                } else {
                    try (JsonParser parser = ascii != null ? factory.createParser(ascii) : factory.createParser(part.text())) {
                        read = read(parser, parser.nextToken(), part.role(), tree) && !tree.sawReferences();
                    }
                }
            } catch (Exception e) {
                read = false; // the whole reading reports it
            } finally {
                if (converted != null) {
                    read &= converter.finish(converted);
                }
            }
        }

        /**
         * Reads the part's items line by line ({@link BlockYaml}), and an item that reader declines with Jackson on
         * its own; the List's other keys with Jackson. Null, having read nothing, when the part is not a List whose
         * items are at column 0: Jackson then reads the part as a whole.
         */
        private Boolean readLines() throws Exception {
            String text = part.text();
            int start = 0;
            int line = part.lineOffset();
            if (part.role() == Role.TAIL) {
                return null;
            }
            if (part.role() == Role.HEAD) {
                int key = ListParts.itemsKey(text);
                start = key < 0 ? -1 : ListParts.itemsStart(key);
                if (start < 0 || !text.startsWith("- ", start)) {
                    return null;
                }
                // The keys before items: a mapping, or nothing at all ("---" alone).
                String before = text.substring(0, key);
                if (otherLineBreaks(before) || !readKeys(before, part.lineOffset(), true)) {
                    return false;
                }
                items = true;
                line += ListParts.lines(text, 0, start);
            }
            BlockYaml lines = new BlockYaml(text, start, text.length(), line);
            int at = start;
            while (at < text.length() && itemStart(text, at)) {
                JsonNode item;
                try {
                    item = lines.item();
                    at = lines.position();
                    line = lines.line();
                } catch (BlockYaml.Declined declined) {
                    int next = ListParts.nextLineAtColumn0(text, at, text.length());
                    String itemText = text.substring(at, next);
                    if (otherLineBreaks(itemText)) {
                        return false; // SnakeYAML counts lines its own way: the lines after it would be numbered wrong
                    }
                    item = readItem(itemText, line);
                    if (item == null) {
                        return false;
                    }
                    line += ListParts.lines(text, at, next);
                    at = next;
                    lines.moveTo(at, line);
                }
                add(item);
            }
            // What follows the items is the List's other keys, in a part that holds the whole List; a line "---" or
            // "..." there ends the List's document (what follows it is another).
            return at == text.length() || (part.role() == Role.HEAD && alone && !text.startsWith("---", at)
                    && !text.startsWith("...", at) && readKeys(text.substring(at), line, false));
        }

        /** Line breaks SnakeYAML counts other than {@code \n} (here, lines are counted by {@code \n}). */
        private static boolean otherLineBreaks(String text) {
            return text.indexOf('\r') >= 0 || text.indexOf('\u0085') >= 0 || text.indexOf('\u2028') >= 0
                    || text.indexOf('\u2029') >= 0;
        }

        private static boolean itemStart(String text, int at) {
            return text.charAt(at) == '-' && (at + 1 == text.length() || text.charAt(at + 1) == ' '
                    || text.charAt(at + 1) == '\n');
        }

        /** One item, as Jackson reads it, from its text (its lines in the file from {@code line} on). */
        private JsonNode readItem(String text, int line) throws Exception {
            LocatedTree own = new LocatedTree(false, line);
            try (JsonParser parser = factory.createParser(text)) {
                if (parser.nextToken() != JsonToken.START_ARRAY) {
                    return null;
                }
                parser.nextToken();
                JsonNode item = own.readNested(parser, ITEM_DEPTH);
                return parser.nextToken() == JsonToken.END_ARRAY && parser.nextToken() == null && !own.sawReferences()
                        ? item : null;
            }
        }

        /** The List's keys in {@code text}, as Jackson reads them; {@code before} the items or after them. */
        private boolean readKeys(String text, int line, boolean before) throws Exception {
            LocatedTree own = new LocatedTree(false, line);
            try (JsonParser parser = factory.createParser(text)) {
                JsonToken first = parser.nextToken();
                if (before && first != JsonToken.START_OBJECT) {
                    // Nothing before items, or only "---": an empty document, which the items continue.
                    return first == null || ((first == JsonToken.VALUE_NULL
                            || (first == JsonToken.VALUE_STRING && parser.getText().isEmpty()))
                            && !anchored(parser) && parser.nextToken() == null);
                }
                return read(parser, first, Role.TAIL, own) && !own.sawReferences();
            }
        }

        /** Reads the part from its first token, {@code root}, as the part {@code role} of the List. */
        private boolean read(JsonParser parser, JsonToken root, Role role, LocatedTree tree) throws Exception {
            if (anchored(parser)) {
                return false;
            }
            if (role == Role.ITEMS) {
                if (root != JsonToken.START_ARRAY) {
                    return false;
                }
                readItems(parser);
            } else {
                if (root != JsonToken.START_OBJECT) {
                    return false;
                }
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String key = parser.currentName();
                    JsonToken value = parser.nextToken();
                    if (keys.containsKey(key) || key.equals(MERGE_KEY) || anchored(parser)
                            || (key.equals(ITEMS) && (items || role != Role.HEAD || value != JsonToken.START_ARRAY))) {
                        return false;
                    }
                    if (key.equals(ITEMS)) {
                        items = true;
                        readItems(parser);
                    } else {
                        keys.put(key, tree.readNested(parser, 1));
                    }
                }
            }
            return parser.nextToken() == null; // one document, nothing after it
        }

        private void readItems(JsonParser parser) throws Exception {
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                add(tree.readNested(parser, ITEM_DEPTH));
            }
        }

        private void add(JsonNode item) throws Exception {
            if (item.isNull()) {
                return;
            }
            if (converter != null) {
                converter.add(item);
            } else {
                objects.value(item, LocatedTree.start(item), ITEMS);
            }
        }

        /** An anchor on the List or its items: something may refer to them from elsewhere. */
        private static boolean anchored(JsonParser parser) {
            return parser instanceof YAMLParser yaml && (yaml.getCurrentAnchor() != null || yaml.isCurrentAlias());
        }
    }

    /**
     * Turns items into records on a thread of its own, in the order they were read. Items travel in batches, and at
     * most a few batches wait, so that the trees waiting stay small.
     */
    private static final class Converter implements Callable<Boolean> {
        private static final int BATCH = 256;
        private static final List<JsonNode> END = List.of();
        private final ObjectCollector objects;
        private final BlockingQueue<List<JsonNode>> batches = new ArrayBlockingQueue<>(8);
        private List<JsonNode> batch = new ArrayList<>(BATCH);

        Converter(ObjectCollector objects) {
            this.objects = objects;
        }

        void add(JsonNode item) throws InterruptedException {
            batch.add(item);
            if (batch.size() == BATCH) {
                batches.put(batch);
                batch = new ArrayList<>(BATCH);
            }
        }

        /** Whether every item read became records; sends what is left and waits for the converting thread. */
        boolean finish(FutureTask<Boolean> converted) {
            try {
                if (!batch.isEmpty()) {
                    batches.put(batch);
                }
                batches.put(END);
                return converted.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException e) {
                return false;
            }
        }

        /** Whether every item became records; after a problem, takes the rest of the batches without reading them. */
        @Override
        public Boolean call() throws InterruptedException {
            boolean ok = true;
            for (List<JsonNode> items = batches.take(); items != END; items = batches.take()) {
                for (int i = 0; ok && i < items.size(); i++) {
                    try {
                        objects.value(items.get(i), LocatedTree.start(items.get(i)), ITEMS);
                    } catch (SnapshotException | RuntimeException e) {
                        ok = false; // the whole reading reports it
                    }
                }
            }
            return ok;
        }
    }
}
