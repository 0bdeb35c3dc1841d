package io.nftpolicy.backend.kernel;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The comments of a table and of its chains, from nft's text listing of the table ({@code list table}; terse is
 * enough). libnftables 1.0.6 leaves exactly these two out of its JSON, so the reader takes them from here.
 *
 * <p>Reads only what 1.0.6 (and later) prints: {@code table FAMILY NAME {}, then at one tab {@code comment "..."}
 * among the table's properties; {@code chain NAME {} at one tab, then at two tabs its properties ({@code comment},
 * {@code type ... hook ...}, {@code policy}) before its rules. {@code chainNames}: every chain listed, with a
 * comment or not, to tell whether the text and the JSON listings saw the same table.
 */
record TextComments(Optional<String> table, Map<String, String> chains, List<String> tableFlags,
                    Set<String> chainNames) {
    private static final String COMMENT = "comment \"";

    static TextComments parse(String listing, String family, String tableName) {
        String[] lines = listing.split("\n", -1);
        String header = "table " + family + " " + tableName + " {";
        int i = 0;
        while (i < lines.length && !lines[i].strip().equals(header)) {
            i++;
        }
        if (i == lines.length) {
            throw new KernelTableFormatException("the text listing holds no \"" + header + "\"");
        }
        Optional<String> tableComment = Optional.empty();
        List<String> tableFlags = new ArrayList<>();
        Map<String, String> chains = new HashMap<>();
        Set<String> chainNames = new HashSet<>();
        boolean inTableProperties = true;
        for (i++; i < lines.length; i++) {
            String line = lines[i];
            if (line.equals("}")) {
                break; // end of the table
            }
            if (line.isBlank()) {
                continue;
            }
            if (inTableProperties && line.startsWith("\t" + COMMENT)) {
                tableComment = Optional.of(unquote(line.substring(1)));
                continue;
            }
            if (inTableProperties && line.startsWith("\tflags ")) {
                for (String flag : line.substring("\tflags ".length()).split(",")) {
                    tableFlags.add(flag.strip());
                }
                continue;
            }
            if (line.startsWith("\t") && !line.startsWith("\t\t")) {
                inTableProperties = false;
                String item = line.strip();
                if (item.startsWith("chain ") && item.endsWith("{")) {
                    String name = item.substring("chain ".length(), item.length() - 1).strip();
                    chainNames.add(name);
                    i = chainComment(lines, i + 1, name, chains);
                }
            }
        }
        return new TextComments(tableComment, chains, tableFlags, Set.copyOf(chainNames));
    }

    /** Reads the chain's property lines from {@code from}; returns the index of the last line it looked at. */
    private static int chainComment(String[] lines, int from, String chain, Map<String, String> chains) {
        int i = from;
        for (; i < lines.length; i++) {
            String line = lines[i];
            if (!line.startsWith("\t\t")) {
                return i - 1; // "\t}" or anything else at table level: let the caller see it
            }
            String property = line.strip();
            if (property.startsWith(COMMENT)) {
                chains.putIfAbsent(chain, unquote(property));
            } else if (!property.startsWith("type ") && !property.startsWith("policy ")
                    && !property.startsWith("devices ")) {
                // the first rule: properties are done; skip the rules
                while (i + 1 < lines.length && lines[i + 1].startsWith("\t\t")) {
                    i++;
                }
            }
        }
        return i;
    }

    /** {@code comment "text"} to {@code text}: nft prints the comment as stored, between the first and last quote. */
    private static String unquote(String property) {
        int start = property.indexOf('"') + 1;
        int end = property.lastIndexOf('"');
        return end >= start ? property.substring(start, end) : property.substring(start);
    }
}
