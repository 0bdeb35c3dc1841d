package io.nftpolicy.ruleset;

import java.util.List;
import java.util.Objects;

/** A verdict map keyed by address: one lookup dispatches a packet to the chain of its pod. */
public record VerdictMap(String name, KeyType keyType, String comment, List<MapElement> elements) {
    public VerdictMap {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(keyType, "keyType");
        comment = comment == null ? "" : comment;
        elements = List.copyOf(elements);
    }
}
