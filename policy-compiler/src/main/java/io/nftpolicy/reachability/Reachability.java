package io.nftpolicy.reachability;

import io.nftpolicy.net.IpFamily;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who reached whom, per endpoint and address family: the from→to tables of the Kubernetes upstream network policy
 * e2e tests, {@code .} for connected and {@code X} for blocked.
 *
 * <p>The text form is meant to be written by hand as an expectation and compared with a probe, so it is both
 * printed and parsed, and only cells present in an expectation are compared. A cell that was not probed (say a
 * v4-only source towards an IPv6 address) is absent and printed as {@code -}.
 *
 * @param cells results in insertion order, which fixes the order of tables, rows and columns when rendered
 */
public record Reachability(Map<Cell, Boolean> cells) {

    /** One probe: from a source to a destination pod, on one endpoint over one address family. */
    public record Cell(Endpoint endpoint, IpFamily family, String from, String to) {
        public Cell {
            Objects.requireNonNull(endpoint, "endpoint");
            Objects.requireNonNull(family, "family");
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(to, "to");
        }

        @Override
        public String toString() {
            return from + " -> " + to + " " + endpoint.label() + " " + familyLabel(family);
        }
    }

    private static final Pattern TABLE_HEADER =
            Pattern.compile("^\\s*([A-Za-z]+/\\d+)\\s+(IPv4|IPv6)\\s*$", Pattern.CASE_INSENSITIVE);

    public Reachability {
        cells.forEach((cell, allowed) -> Objects.requireNonNull(allowed, () -> "no result for " + cell));
        cells = Collections.unmodifiableMap(new LinkedHashMap<>(cells));
    }

    /** @throws NoSuchElementException when that cell was not probed, which is a mistake in the caller's test */
    public boolean allowed(Endpoint endpoint, IpFamily family, String from, String to) {
        Boolean result = cells.get(new Cell(endpoint, family, from, to));
        if (result == null) {
            throw new NoSuchElementException("not probed: " + new Cell(endpoint, family, from, to));
        }
        return result;
    }

    /** One table per endpoint and family, rows are sources, columns destinations; see the class comment. */
    public String render() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<Table, Map<Cell, Boolean>> table : tables().entrySet()) {
            Set<String> rows = new LinkedHashSet<>();
            Set<String> columns = new LinkedHashSet<>();
            for (Cell cell : table.getValue().keySet()) {
                rows.add(cell.from());
                columns.add(cell.to());
            }
            int rowWidth = rows.stream().mapToInt(String::length).max().orElse(1);
            int columnWidth = columns.stream().mapToInt(String::length).max().orElse(1);
            if (out.length() > 0) {
                out.append('\n');
            }
            out.append(table.getKey().endpoint().label()).append(' ').append(familyLabel(table.getKey().family()))
                    .append('\n');
            StringBuilder line = new StringBuilder(" ".repeat(rowWidth));
            for (String column : columns) {
                line.append(' ').append(pad(column, columnWidth));
            }
            out.append(line.toString().stripTrailing()).append('\n');
            for (String row : rows) {
                line = new StringBuilder(pad(row, rowWidth));
                for (String column : columns) {
                    Boolean allowed = table.getValue()
                            .get(new Cell(table.getKey().endpoint(), table.getKey().family(), row, column));
                    line.append(' ').append(pad(allowed == null ? "-" : allowed ? "." : "X", columnWidth));
                }
                out.append(line.toString().stripTrailing()).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * Reads what {@link #render()} writes. Blank lines and lines starting with {@code #} are ignored; the corner of
     * a column header may hold {@code -}; cells are {@code .}, {@code X} (or {@code x}) and {@code -} for "not
     * part of this expectation".
     *
     * @throws IllegalArgumentException naming the offending line
     */
    public static Reachability parse(String text) {
        Map<Cell, Boolean> cells = new LinkedHashMap<>();
        Table table = null;
        List<String> columns = null;
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#")) {
                continue;
            }
            Matcher header = TABLE_HEADER.matcher(line);
            if (header.matches()) {
                try {
                    table = new Table(Endpoint.parse(header.group(1)), parseFamily(header.group(2)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
                }
                columns = null;
                continue;
            }
            if (table == null) {
                throw new IllegalArgumentException(
                        "line " + (i + 1) + ": expected a table header like 'TCP/80 IPv4', got: " + trimmed);
            }
            List<String> tokens = List.of(trimmed.split("\\s+"));
            if (columns == null) {
                columns = tokens.get(0).equals("-") ? tokens.subList(1, tokens.size()) : tokens;
                continue;
            }
            if (tokens.size() != columns.size() + 1) {
                throw new IllegalArgumentException("line " + (i + 1) + ": expected a source and " + columns.size()
                        + " cells, got: " + trimmed);
            }
            for (int c = 0; c < columns.size(); c++) {
                Cell cell = new Cell(table.endpoint(), table.family(), tokens.get(0), columns.get(c));
                switch (tokens.get(c + 1)) {
                    case "." -> cells.put(cell, true);
                    case "X", "x" -> cells.put(cell, false);
                    case "-" -> { }
                    default -> throw new IllegalArgumentException("line " + (i + 1) + ": cell '" + tokens.get(c + 1)
                            + "' for " + cell + " is none of '.', 'X', '-'");
                }
            }
        }
        return new Reachability(cells);
    }

    /**
     * Every cell of {@code expected} that this result contradicts or lacks, in words, in {@code expected}'s order;
     * empty when all agree.
     */
    public List<String> differences(Reachability expected) {
        List<String> differences = new ArrayList<>();
        expected.cells().forEach((cell, wanted) -> {
            Boolean got = cells.get(cell);
            if (!wanted.equals(got)) {
                differences.add(cell + ": expected " + symbol(wanted) + ", got "
                        + (got == null ? "nothing (not probed)" : symbol(got)));
            }
        });
        return differences;
    }

    @Override
    public String toString() {
        return render();
    }

    private record Table(Endpoint endpoint, IpFamily family) {}

    private Map<Table, Map<Cell, Boolean>> tables() {
        Map<Table, Map<Cell, Boolean>> tables = new LinkedHashMap<>();
        cells.forEach((cell, allowed) -> tables
                .computeIfAbsent(new Table(cell.endpoint(), cell.family()), t -> new LinkedHashMap<>())
                .put(cell, allowed));
        return tables;
    }

    public static String familyLabel(IpFamily family) {
        return family == IpFamily.IPV4 ? "IPv4" : "IPv6";
    }

    private static IpFamily parseFamily(String label) {
        return label.equalsIgnoreCase("IPv4") ? IpFamily.IPV4 : IpFamily.IPV6;
    }

    private static String symbol(boolean allowed) {
        return allowed ? "." : "X";
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(width - s.length());
    }
}
