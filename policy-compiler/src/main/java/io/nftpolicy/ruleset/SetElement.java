package io.nftpolicy.ruleset;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One element of a named set.
 *
 * @param sources every policy peer that put it there, for sets that merge several policies' allowances
 * @param comment what the element is, for sets of one peer (the pod an address belongs to); empty if none
 */
public record SetElement(List<KeyPart> key, List<Source> sources, String comment) implements Comparable<SetElement> {
    private static final Comparator<List<KeyPart>> KEY_ORDER = (a, b) -> {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = a.get(i).compareTo(b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    };

    public SetElement {
        key = List.copyOf(key);
        sources = List.copyOf(sources);
        comment = comment == null ? "" : comment;
    }

    public SetElement(List<KeyPart> key, List<Source> sources) {
        this(key, sources, "");
    }

    public String keyToNft() {
        return key.stream().map(KeyPart::toNft).collect(Collectors.joining(" . "));
    }

    @Override
    public int compareTo(SetElement o) {
        return KEY_ORDER.compare(key, o.key);
    }
}
