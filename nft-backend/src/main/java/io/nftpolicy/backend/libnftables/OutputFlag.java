package io.nftpolicy.backend.libnftables;

import java.util.Set;

/** libnftables' output flags ({@code NFT_CTX_OUTPUT_*} of libnftables.h, 1.0.6). */
public enum OutputFlag {
    /** Print addresses as host names (never wanted here: it costs DNS lookups). */
    REVERSEDNS(1 << 0),
    /** Print ports as service names. */
    SERVICE(1 << 1),
    /** Omit stateful data (counters, quotas). */
    STATELESS(1 << 2),
    /** Print object handles. */
    HANDLE(1 << 3),
    /** JSON output; input is then tried as JSON first, then as nft syntax. */
    JSON(1 << 4),
    /** Print what a command added, as the kernel assigned it (handles). */
    ECHO(1 << 5),
    /** Print user and group ids as names. */
    GUID(1 << 6),
    NUMERIC_PROTO(1 << 7),
    NUMERIC_PRIO(1 << 8),
    NUMERIC_SYMBOL(1 << 9),
    NUMERIC_TIME(1 << 10),
    /** Omit set elements from listings. */
    TERSE(1 << 11);

    private final int bit;

    OutputFlag(int bit) {
        this.bit = bit;
    }

    public int bit() {
        return bit;
    }

    static int bits(Set<OutputFlag> flags) {
        int bits = 0;
        for (OutputFlag f : flags) {
            bits |= f.bit;
        }
        return bits;
    }
}
