package io.nftpolicy.ruleset;

import java.util.List;
import java.util.Objects;

/**
 * A named set of the table. Interval sets hold disjoint elements (the compiler partitions overlaps away), so the
 * kernel never sees two elements covering one key.
 */
public record NamedSet(String name, List<KeyType> keyType, boolean interval, String comment, List<SetElement> elements) {
    public NamedSet {
        Objects.requireNonNull(name, "name");
        keyType = List.copyOf(keyType);
        comment = comment == null ? "" : comment;
        elements = List.copyOf(elements);
    }
}
