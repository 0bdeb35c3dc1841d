package io.nftpolicy.ruleset;

import java.util.List;
import java.util.Objects;

/**
 * Everything nftpolicy puts in a node's kernel: one private inet table. Immutable, ordered deterministically, so
 * the same cluster gives the same value; the renderer prints it for audit and the backend diffs and sends it.
 */
public record Ruleset(String family, String table, String comment, List<NamedSet> sets, List<VerdictMap> maps,
                      List<Chain> chains) {
    public static final String FAMILY = "inet";
    public static final String TABLE = "nftpolicy";

    public Ruleset {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(table, "table");
        comment = comment == null ? "" : comment;
        sets = List.copyOf(sets);
        maps = List.copyOf(maps);
        chains = List.copyOf(chains);
    }

    public int elementCount() {
        return sets.stream().mapToInt(s -> s.elements().size()).sum()
                + maps.stream().mapToInt(m -> m.elements().size()).sum();
    }

    public int ruleCount() {
        return chains.stream().mapToInt(c -> c.rules().size()).sum();
    }
}
