package io.nftpolicy.ruleset;

import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/** One element of a named set, with every policy peer that put it there. */
public record SetElement(List<KeyPart> key, List<Source> sources) implements Comparable<SetElement> {
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
    }

    public String keyToNft() {
        return key.stream().map(KeyPart::toNft).collect(Collectors.joining(" . "));
    }

    @Override
    public int compareTo(SetElement o) {
        return KEY_ORDER.compare(key, o.key);
    }
}
