package io.nftpolicy.stats;

/** Packets and bytes as one kernel counter holds them. */
public record Count(long packets, long bytes) {
    public static final Count ZERO = new Count(0, 0);

    public Count plus(Count other) {
        return new Count(packets + other.packets, bytes + other.bytes);
    }
}
