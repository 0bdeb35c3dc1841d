package io.nftpolicy.ruleset;

import io.nftpolicy.net.IpAddress;
import java.util.Objects;

/** One entry of a dispatch verdict map: packets of this address jump to this chain. */
public record MapElement(IpAddress key, String chain, String comment) implements Comparable<MapElement> {
    public MapElement {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(chain, "chain");
        comment = comment == null ? "" : comment;
    }

    @Override
    public int compareTo(MapElement o) {
        return key.compareTo(o.key);
    }
}
