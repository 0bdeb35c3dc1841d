package io.nftpolicy.net;

import com.google.common.collect.BoundType;
import com.google.common.collect.Range;
import java.math.BigInteger;
import java.util.Objects;

/** An inclusive range of addresses of one family: what one element of an interval set holds. */
public record IpRange(IpAddress first, IpAddress last) implements Comparable<IpRange> {

    public IpRange {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(last, "last");
        if (first.family() != last.family()) {
            throw new IllegalArgumentException("range mixes families: " + first + "-" + last);
        }
        if (first.compareTo(last) > 0) {
            throw new IllegalArgumentException("empty range: " + first + "-" + last);
        }
    }

    public static IpRange single(IpAddress address) {
        return new IpRange(address, address);
    }

    /** Every address of a family: what "all peers" means for one family. */
    public static IpRange all(IpFamily family) {
        BigInteger max = BigInteger.ONE.shiftLeft(family.bits()).subtract(BigInteger.ONE);
        return new IpRange(new IpAddress(family, BigInteger.ZERO), new IpAddress(family, max));
    }

    /** The range of a prefix; host bits of the address are ignored. */
    public static IpRange prefix(IpAddress address, int length) {
        IpFamily family = address.family();
        if (length < 0 || length > family.bits()) {
            throw new IllegalArgumentException("prefix length " + length + " out of range for " + family);
        }
        BigInteger hostMask = BigInteger.ONE.shiftLeft(family.bits() - length).subtract(BigInteger.ONE);
        BigInteger start = address.value().andNot(hostMask);
        return new IpRange(new IpAddress(family, start), new IpAddress(family, start.or(hostMask)));
    }

    public IpFamily family() {
        return first.family();
    }

    /**
     * This range as a Guava range, closed-open so that adjacent ranges join in a {@code RangeSet}; unbounded above
     * when it ends at the family's last address, which has no next (so a RangeSet of these holds one family).
     */
    public Range<IpAddress> asRange() {
        return last.isMax() ? Range.atLeast(first) : Range.closedOpen(first, last.next());
    }

    /** The range of addresses of {@code family} that a range made by {@link #asRange()}, or cut from one, holds. */
    public static IpRange of(Range<IpAddress> range, IpFamily family) {
        if (range.lowerBoundType() != BoundType.CLOSED
                || range.hasUpperBound() && range.upperBoundType() != BoundType.OPEN) {
            throw new IllegalArgumentException("not a closed-open range of addresses: " + range);
        }
        IpAddress last = range.hasUpperBound() ? range.upperEndpoint().previous() : all(family).last();
        return new IpRange(range.lowerEndpoint(), last);
    }

    public boolean contains(IpRange other) {
        return family() == other.family() && first.compareTo(other.first) <= 0 && last.compareTo(other.last) >= 0;
    }

    public boolean contains(IpAddress address) {
        return family() == address.family() && first.compareTo(address) <= 0 && last.compareTo(address) >= 0;
    }

    /** The prefix length when this range is exactly one aligned prefix, else -1. */
    public int prefixLength() {
        BigInteger size = last.value().subtract(first.value()).add(BigInteger.ONE);
        if (size.bitCount() != 1) {
            return -1;
        }
        int hostBits = size.bitLength() - 1;
        if (first.value().getLowestSetBit() < hostBits && first.value().signum() != 0) {
            return -1;
        }
        return family().bits() - hostBits;
    }

    /** nft's spelling: an address, an aligned prefix, or first-last. */
    public String toNft() {
        if (first.equals(last)) {
            return first.toString();
        }
        int prefix = prefixLength();
        return prefix >= 0 ? first + "/" + prefix : first + "-" + last;
    }

    @Override
    public int compareTo(IpRange o) {
        int c = first.compareTo(o.first);
        return c != 0 ? c : last.compareTo(o.last);
    }

    @Override
    public String toString() {
        return toNft();
    }
}
