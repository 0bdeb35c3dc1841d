package io.nftpolicy.net;

/** IPv4 or IPv6: every address set, map and rule in the ruleset exists once per family. */
public enum IpFamily {
    IPV4(32, "ip", "ipv4_addr", "v4"),
    IPV6(128, "ip6", "ipv6_addr", "v6");

    private final int bits;
    private final String nftPayload;
    private final String nftType;
    private final String suffix;

    IpFamily(int bits, String nftPayload, String nftType, String suffix) {
        this.bits = bits;
        this.nftPayload = nftPayload;
        this.nftType = nftType;
        this.suffix = suffix;
    }

    public int bits() {
        return bits;
    }

    /** The nft payload protocol that matches this family's header: {@code ip} or {@code ip6}. */
    public String nftPayload() {
        return nftPayload;
    }

    /** The nft data type of an address of this family. */
    public String nftType() {
        return nftType;
    }

    /** Short suffix for object names: v4 or v6. */
    public String suffix() {
        return suffix;
    }
}
