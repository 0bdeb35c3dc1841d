package io.nftpolicy.ruleset;

/** The nft data types that set and map keys are made of. */
public enum KeyType {
    IPV4_ADDR("ipv4_addr"),
    IPV6_ADDR("ipv6_addr"),
    INET_PROTO("inet_proto"),
    INET_SERVICE("inet_service"),
    MARK("mark");

    private final String nftName;

    KeyType(String nftName) {
        this.nftName = nftName;
    }

    public String nftName() {
        return nftName;
    }
}
