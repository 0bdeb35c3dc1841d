package io.nftpolicy.snapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the YAML of a {@code kubectl get -o yaml} List can be cut into parts that are read at the same time, one per
 * processor: SnakeYAML reads a few MB a second, and most of a large dump's reading is its scanning.
 *
 * <p>kubectl writes one List whose {@code items:} is a top-level key with its items at column 0, each starting with
 * a line {@code - ...}; other top-level keys ({@code kind: List}, {@code metadata:}) may follow. The file is cut
 * before such lines into the head (up to and with some items), further runs of items, each of which reads as a
 * sequence of its own, and the tail (the keys after the items). A line {@code - } at column 0 after {@code items:}
 * can only start an item: a block scalar's lines are indented, and a plain scalar ends before it; inside a quoted
 * scalar or a flow collection it would leave the part before it unterminated, which is an error. What reads the
 * parts ({@link StreamedList}) gives up on anything else that could make them read differently from the whole (an
 * error in any part, anchors, aliases or merge keys, which refer across values, a key written twice).
 */
final class ListParts {
    private static final String ITEMS = "items:\n";
    private static final String ITEM = "\n- ";
    /** Below this, threads cost more than they save. */
    static final int MIN_LENGTH = 1 << 20;

    /** Which part of the List a piece of the text is. */
    enum Role {
        /** The List's keys up to and with the first items: a mapping. */
        HEAD,
        /** A run of items: a sequence. */
        ITEMS,
        /** The List's keys after the items: a mapping. */
        TAIL
    }

    /** A piece of the file, which starts after {@code lineOffset} of the file's lines. */
    record Part(Role role, String text, int lineOffset) {}

    private ListParts() {}

    /** The parts of a large List, in file order; null when the text is to be read whole. */
    static List<Part> cut(String text, int parts) {
        return text.length() < MIN_LENGTH ? null : split(text, parts);
    }

    /** {@link #cut} whatever the length. */
    static List<Part> split(String text, int parts) {
        if (parts < 2) {
            return null;
        }
        int items = itemsKey(text);
        if (items < 0) {
            return null;
        }
        int itemsStart = itemsStart(items);
        int lastItem = text.lastIndexOf(ITEM);
        // A line "---" or "..." after the items (another document) is not looked for here, which would scan the whole
        // file once more: the reading of the part it falls in ends the items there, and gives up.
        if (!text.startsWith("- ", itemsStart) || lastItem < itemsStart) {
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
        List<Part> result = new ArrayList<>();
        result.add(new Part(Role.HEAD, text.substring(0, cuts.get(0)), 0));
        int line = 0;
        int counted = 0;
        for (int i = 0; i < cuts.size(); i++) {
            int start = cuts.get(i);
            int end = i + 1 < cuts.size() ? cuts.get(i + 1) : tail;
            line += lines(text, counted, start);
            counted = start;
            result.add(new Part(Role.ITEMS, text.substring(start, end), line));
        }
        if (tail < text.length()) {
            result.add(new Part(Role.TAIL, text.substring(tail), line + lines(text, counted, tail)));
        }
        return result;
    }

    /** Where the line {@code items:} at column 0 starts; -1 when there is none. */
    static int itemsKey(String text) {
        if (text.startsWith(ITEMS)) {
            return 0;
        }
        int line = text.indexOf("\n" + ITEMS);
        return line < 0 ? -1 : line + 1;
    }

    /** The first line after {@code items:}, where the items start. */
    static int itemsStart(int itemsKey) {
        return itemsKey + ITEMS.length();
    }

    /** Where the top-level keys after the last item start: the first line at column 0 that continues no item. */
    private static int tailStart(String text, int lastItem) {
        return nextLineAtColumn0(text, lastItem, text.length());
    }

    /**
     * The first line after the one at {@code from} that starts at column 0 with something other than a comment or
     * white space, or {@code end}: where an item that starts at {@code from} ends.
     */
    static int nextLineAtColumn0(String text, int from, int end) {
        int line = text.indexOf('\n', from);
        while (line >= 0 && line + 1 < end) {
            char c = text.charAt(line + 1);
            if (c != ' ' && c != '\t' && c != '#' && c != '\n' && c != '\r') {
                return line + 1;
            }
            line = text.indexOf('\n', line + 1);
        }
        return end;
    }

    static int lines(String text, int from, int to) {
        int lines = 0;
        for (int i = text.indexOf('\n', from); i >= 0 && i < to; i = text.indexOf('\n', i + 1)) {
            lines++;
        }
        return lines;
    }
}
