package io.nftpolicy.ruleset;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpRange;

/** One field of a set element's key. Typed, so the backend can compare the kernel's JSON with the model. */
public sealed interface KeyPart extends Comparable<KeyPart> {

    String toNft();

    /** An address, prefix or address range. */
    record Addresses(IpRange range) implements KeyPart {
        @Override
        public String toNft() {
            return range.toNft();
        }
    }

    /** A transport protocol. */
    record Proto(Protocol protocol) implements KeyPart {
        @Override
        public String toNft() {
            return protocol.nftName();
        }
    }

    /** A destination port or inclusive port range. */
    record Ports(int first, int last) implements KeyPart {
        public Ports {
            if (first < 0 || last > 65535 || first > last) {
                throw new IllegalArgumentException("bad port range " + first + "-" + last);
            }
        }

        @Override
        public String toNft() {
            return first == last ? Integer.toString(first) : first + "-" + last;
        }
    }

    /** A conntrack or packet mark, written as nft lists it (eight hex digits). */
    record Mark(long value) implements KeyPart {
        public Mark {
            if (value < 0 || value > 0xffffffffL) {
                throw new IllegalArgumentException("bad mark " + value);
            }
        }

        @Override
        public String toNft() {
            return String.format("0x%08x", value);
        }
    }

    @Override
    default int compareTo(KeyPart o) {
        if (this instanceof Addresses a && o instanceof Addresses b) {
            return a.range().compareTo(b.range());
        }
        if (this instanceof Proto a && o instanceof Proto b) {
            return a.protocol().compareTo(b.protocol());
        }
        if (this instanceof Ports a && o instanceof Ports b) {
            return a.first() != b.first() ? Integer.compare(a.first(), b.first()) : Integer.compare(a.last(), b.last());
        }
        if (this instanceof Mark a && o instanceof Mark b) {
            return Long.compare(a.value(), b.value());
        }
        return getClass().getSimpleName().compareTo(o.getClass().getSimpleName());
    }
}
