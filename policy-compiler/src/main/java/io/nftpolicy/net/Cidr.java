package io.nftpolicy.net;

import java.util.regex.Pattern;

/** Parses CIDR notation as NetworkPolicy's ipBlock writes it. */
public final class Cidr {
    private static final Pattern PREFIX_LENGTH = Pattern.compile("\\d{1,3}");

    private Cidr() {}

    /**
     * Parses {@code address/length}. Host bits may be set (the API server accepts them); they are masked off.
     *
     * @throws IllegalArgumentException with a reason fit for a user when the text is not a CIDR
     */
    public static IpRange parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("CIDR is empty");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("\"" + text + "\" is not a CIDR (expected address/prefix-length)");
        }
        IpAddress address;
        try {
            address = IpAddress.parse(text.substring(0, slash));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a CIDR: " + e.getMessage());
        }
        String lengthText = text.substring(slash + 1);
        if (!PREFIX_LENGTH.matcher(lengthText).matches()) {
            throw new IllegalArgumentException("\"" + text + "\" is not a CIDR: bad prefix length");
        }
        int length = Integer.parseInt(lengthText);
        if (length > address.family().bits()) {
            throw new IllegalArgumentException(
                    "\"" + text + "\" is not a CIDR: prefix length above " + address.family().bits());
        }
        return IpRange.prefix(address, length);
    }
}
