package io.nftpolicy.ruleset;

import java.util.List;
import java.util.Objects;

/**
 * A named set of the table. Interval sets hold disjoint elements (the compiler partitions overlaps away), so the
 * kernel never sees two elements covering one key.
 *
 * @param counter whether each element counts the packets and bytes of the lookups that match it ({@code counter}
 *                flag): the kernel keeps the figures per element, and keeps them while the element stays
 */
public record NamedSet(String name, List<KeyType> keyType, boolean interval, String comment, List<SetElement> elements,
                       boolean counter) {
    public NamedSet {
        Objects.requireNonNull(name, "name");
        keyType = List.copyOf(keyType);
        comment = comment == null ? "" : comment;
        elements = List.copyOf(elements);
    }

    /** A set without counters. */
    public NamedSet(String name, List<KeyType> keyType, boolean interval, String comment, List<SetElement> elements) {
        this(name, keyType, interval, comment, elements, false);
    }

    /** The same declaration with other elements. */
    public NamedSet withElements(List<SetElement> newElements) {
        return new NamedSet(name, keyType, interval, comment, newElements, counter);
    }
}
