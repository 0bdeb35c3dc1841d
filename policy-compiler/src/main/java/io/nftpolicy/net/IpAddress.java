package io.nftpolicy.net;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * An IPv4 or IPv6 address as a number, so that ranges and prefixes are arithmetic. Held as two unsigned 64-bit
 * halves: the compiler compares and steps through hundreds of thousands of addresses per compilation.
 */
public final class IpAddress implements Comparable<IpAddress> {
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
    // Compiled once: String.matches compiles its pattern on every call, a cost per pod when a snapshot is read.
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern IPV6_CHARACTERS = Pattern.compile("[0-9A-Fa-f:.]+");

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
     * @throws IllegalArgumentException naming the text when it is not an address
     */
    public static IpAddress parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty address");
        }
        boolean v6 = text.indexOf(':') >= 0;
        if (!v6 && !IPV4.matcher(text).matches()) {
            throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
        }
        if (v6 && !IPV6_CHARACTERS.matcher(text).matches()) {
            throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
        }
        if (!v6) {
            long value = 0;
            for (String octet : text.split("\\.")) {
                int n = Integer.parseInt(octet);
                if (n > 255) {
                    throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
                }
                value = (value << 8) | n;
            }
            return new IpAddress(IpFamily.IPV4, 0, value);
        }
        byte[] bytes;
        try {
            // Only IPv6 literals reach here (they contain ':'), which InetAddress never looks up as names.
            bytes = InetAddress.getByName(text).getAddress();
        } catch (UnknownHostException | SecurityException e) {
            throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
        }
        if (!v6 && bytes.length != 4) {
            throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
        }
        if (v6 && bytes.length == 4) {
            // An IPv4-mapped IPv6 literal: InetAddress hands back the IPv4 address; keep it IPv6.
            byte[] mapped = new byte[16];
            mapped[10] = (byte) 0xff;
            mapped[11] = (byte) 0xff;
            System.arraycopy(bytes, 0, mapped, 12, 4);
            bytes = mapped;
        }
        return new IpAddress(bytes.length == 4 ? IpFamily.IPV4 : IpFamily.IPV6, new BigInteger(1, bytes));
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
        byte[] bytes = new byte[16];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (high >>> (56 - 8 * i));
            bytes[8 + i] = (byte) (low >>> (56 - 8 * i));
        }
        return formatV6(bytes);
    }

    private static String formatV6(byte[] b) {
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < 8; ) {
            if (groups[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLen && j - i >= 2) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(groups[i]));
        }
        return sb.toString();
    }
}
