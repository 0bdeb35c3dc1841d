package io.nftpolicy.backend.nflog;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * One packet an NFLOG group received, as nfnetlink_log delivers it.
 *
 * @param group   the NFLOG group
 * @param time    when the packet arrived, when the kernel stamped it (forwarded packets often are not)
 * @param prefix  the log statement's prefix, empty when it has none
 * @param payload the packet from its network header on, as far as the copy range allows
 */
public record NflogPacket(int group, Optional<Instant> time, String prefix, byte[] payload) {
    public NflogPacket {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(prefix, "prefix");
        payload = payload.clone();
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof NflogPacket p && p.group == group && p.time.equals(time) && p.prefix.equals(prefix)
                && Arrays.equals(p.payload, payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(group, time, prefix, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "NflogPacket[group=" + group + ", time=" + time + ", prefix=" + prefix + ", " + payload.length + " bytes]";
    }
}
