package io.nftpolicy.net;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/** An IPv4 or IPv6 address as a number, so that ranges and prefixes are arithmetic. */
public record IpAddress(IpFamily family, BigInteger value) implements Comparable<IpAddress> {

    public IpAddress {
        Objects.requireNonNull(family, "family");
        if (value.signum() < 0 || value.bitLength() > family.bits()) {
            throw new IllegalArgumentException("address out of range for " + family + ": " + value);
        }
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
        if (!v6 && !text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
        }
        if (v6 && !text.matches("[0-9A-Fa-f:.]+")) {
            throw new IllegalArgumentException("not an IP address: \"" + text + "\"");
        }
        byte[] bytes;
        try {
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

    public IpAddress next() {
        return new IpAddress(family, value.add(BigInteger.ONE));
    }

    public IpAddress previous() {
        return new IpAddress(family, value.subtract(BigInteger.ONE));
    }

    public boolean isMax() {
        return value.bitLength() == family.bits() && value.bitCount() == family.bits();
    }

    public boolean isZero() {
        return value.signum() == 0;
    }

    @Override
    public int compareTo(IpAddress o) {
        int byFamily = family.compareTo(o.family);
        return byFamily != 0 ? byFamily : value.compareTo(o.value);
    }

    /** The canonical text: dotted quad, or RFC 5952 compressed IPv6. */
    @Override
    public String toString() {
        int len = family.bits() / 8;
        byte[] raw = value.toByteArray();
        byte[] bytes = new byte[len];
        int copy = Math.min(raw.length, len);
        System.arraycopy(raw, raw.length - copy, bytes, len - copy, copy);
        if (family == IpFamily.IPV4) {
            return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
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
