package io.nftpolicy.bench.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A Markdown (GitHub) table whose columns are padded, so that the same text reads well printed on a terminal and
 * pasted into docs/benchmarks.md. Columns whose cells are all numbers (or "-" or "n/a") are right-aligned. Immutable.
 *
 * <pre>{@code
 * MarkdownTable.of("pods", "policies", "rules").withRow(1000, 200, 412).toString()
 * }</pre>
 */
public record MarkdownTable(List<String> header, List<List<String>> rows) {

    public MarkdownTable {
        header = List.copyOf(header);
        if (header.isEmpty()) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        rows = rows.stream().map(List::copyOf).toList();
        for (List<String> row : rows) {
            if (row.size() != header.size()) {
                throw new IllegalArgumentException("row " + row + " has " + row.size() + " cells, the header "
                    + header + " has " + header.size());
            }
        }
    }

    public static MarkdownTable of(String... header) {
        return new MarkdownTable(Arrays.asList(header), List.of());
    }

    /** Adds a row; each cell is printed with {@link String#valueOf(Object)}. */
    public MarkdownTable withRow(Object... cells) {
        List<List<String>> all = new ArrayList<>(rows);
        all.add(Arrays.stream(cells).map(String::valueOf).toList());
        return new MarkdownTable(header, all);
    }

    @Override
    public String toString() {
        int columns = header.size();
        int[] widths = new int[columns];
        boolean[] numeric = new boolean[columns];
        for (int c = 0; c < columns; c++) {
            widths[c] = Math.max(3, header.get(c).length());
            numeric[c] = !rows.isEmpty();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
                numeric[c] &= isNumber(row.get(c)) || NO_VALUE.contains(row.get(c));
            }
        }
        StringBuilder out = new StringBuilder();
        appendRow(out, header, widths, numeric);
        out.append('|');
        for (int c = 0; c < columns; c++) {
            out.append(' ').append("-".repeat(widths[c] - 1)).append(numeric[c] ? ':' : '-').append(" |");
        }
        out.append('\n');
        for (List<String> row : rows) {
            appendRow(out, row, widths, numeric);
        }
        return out.toString();
    }

    private static void appendRow(StringBuilder out, List<String> cells, int[] widths, boolean[] right) {
        out.append('|');
        for (int c = 0; c < cells.size(); c++) {
            String cell = Objects.requireNonNull(cells.get(c)).replace("|", "\\|");
            String padding = " ".repeat(Math.max(0, widths[c] - cell.length()));
            out.append(' ').append(right[c] ? padding + cell : cell + padding).append(" |");
        }
        out.append('\n');
    }

    /** Cells that stand for a missing figure; they do not make a column of numbers a column of text. */
    private static final java.util.Set<String> NO_VALUE = java.util.Set.of("-", "n/a");

    // Numbers as benchmarks print them: 1,024 or 12.5 or 0.95 or 3.2 ms or 1.4x or 97%.
    private static boolean isNumber(String cell) {
        return cell.matches("[-+]?[0-9][0-9,]*(\\.[0-9]+)?( ?[a-zA-Zµ%×]{1,3})?");
    }
}
