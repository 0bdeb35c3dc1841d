package io.nftpolicy.net;

import com.google.common.net.InetAddresses;
import java.math.BigInteger;
import java.net.Inet6Address;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address as a number, so that ranges and prefixes are arithmetic. Held as two unsigned 64-bit
 * halves: the compiler compares and steps through hundreds of thousands of addresses per compilation.
 */
public final class IpAddress implements Comparable<IpAddress> {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    /** One or two zeros that start an IPv4 octet of up to three digits: dropped, so the octet reads as decimal. */
    private static final Pattern LEADING_ZEROS = Pattern.compile("(?<![^.])(?=\\d{1,3}(\\.|$))0{1,2}(?=\\d)");
    /** ::ffff:0:0/96, where an IPv4-mapped address lies; its low half. */
    private static final long IPV4_MAPPED = 0xffff_0000_0000L;

    private final IpFamily family;
    private final long high;
    private final long low;

    public IpAddress(IpFamily family, BigInteger value) {
        Objects.requireNonNull(family, "family");
        if (value.signum() < 0 || value.bitLength() > family.bits()) {
            throw new IllegalArgumentException("address out of range for " + family + ": " + value);
        }
        this.family = family;
        this.high = value.shiftRight(64).longValue();
        this.low = value.longValue();
    }

    private IpAddress(IpFamily family, long high, long low) {
        this.family = family;
        this.high = high;
        this.low = low;
    }

    public IpFamily family() {
        return family;
    }

    /** The address as an unsigned number. */
    public BigInteger value() {
        BigInteger lowPart = new BigInteger(Long.toUnsignedString(low));
        return high == 0 ? lowPart : BigInteger.valueOf(high).and(TWO_64.subtract(BigInteger.ONE)).shiftLeft(64).or(lowPart);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpAddress a && a.family == family && a.high == high && a.low == low;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(high) * 31 + Long.hashCode(low) + family.ordinal();
    }

    /**
     * Parses a literal IPv4 or IPv6 address. Never resolves names: anything that is not a literal is rejected.
     *
     * <p>Two readings follow the API server rather than Guava. An IPv4 octet with leading zeros is decimal, as the
     * API server reads it: it stores such values unless its alpha gate StrictIPCIDRValidation is on (then it
     * rejects them), so existing policies may hold them; Guava rejects them as possibly octal. An IPv4-mapped IPv6
     * literal stays IPv6, where Guava (through the JDK) hands back the IPv4 address. A zone ({@code %eth0}) is
     * rejected before Guava sees it: the API server rejects it, and Guava would look the interface up.
     *
     * @throws IllegalArgumentException naming the text when it is not an address
     */
    public static IpAddress parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        boolean v6 = text.indexOf(':') >= 0;
        if (text.indexOf('%') >= 0) {
            throw notAnAddress(text);
        }
        ByteBuffer bytes;
        try {
            bytes = ByteBuffer.wrap(InetAddresses.forString(v6 ? text : LEADING_ZEROS.matcher(text).replaceAll(""))
                    .getAddress());
        } catch (IllegalArgumentException e) {
            throw notAnAddress(text);
        }
        if (bytes.capacity() == 16) {
            return new IpAddress(IpFamily.IPV6, bytes.getLong(), bytes.getLong());
        }
        long value = Integer.toUnsignedLong(bytes.getInt());
        return v6 ? new IpAddress(IpFamily.IPV6, 0, IPV4_MAPPED | value) : new IpAddress(IpFamily.IPV4, 0, value);
    }

    private static IllegalArgumentException notAnAddress(String text) {
        return new IllegalArgumentException("not an IP address: \"" + text + "\"");
    }

    /** The next address; not defined for the last address of the family. */
    public IpAddress next() {
        if (isMax()) {
            throw new IllegalStateException("no address after " + this);
        }
        return low == -1L ? new IpAddress(family, high + 1, 0) : new IpAddress(family, high, low + 1);
    }

    /** The previous address; not defined for the zero address. */
    public IpAddress previous() {
        if (isZero()) {
            throw new IllegalStateException("no address before " + this);
        }
        return low == 0 ? new IpAddress(family, high - 1, -1L) : new IpAddress(family, high, low - 1);
    }

    public boolean isMax() {
        return family == IpFamily.IPV4 ? low == 0xFFFFFFFFL : high == -1L && low == -1L;
    }

    public boolean isZero() {
        return high == 0 && low == 0;
    }

    @Override
    public int compareTo(IpAddress o) {
        if (family != o.family) {
            return family.compareTo(o.family);
        }
        int byHigh = Long.compareUnsigned(high, o.high);
        return byHigh != 0 ? byHigh : Long.compareUnsigned(low, o.low);
    }

    /** The canonical text: dotted quad, or RFC 5952 compressed IPv6. */
    @Override
    public String toString() {
        if (family == IpFamily.IPV4) {
            return ((low >>> 24) & 0xff) + "." + ((low >>> 16) & 0xff) + "." + ((low >>> 8) & 0xff) + "." + (low & 0xff);
        }
        ByteBuffer bytes = ByteBuffer.allocate(16).putLong(high).putLong(low);
        try {
            // Inet6Address, not InetAddress.getByAddress: that one turns an IPv4-mapped address into IPv4.
            return InetAddresses.toAddrString(Inet6Address.getByAddress(null, bytes.array(), -1));
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e); // only for a length other than 16
        }
    }
}
