package io.nftpolicy.explain;

/**
 * The netfilter hooks whose base chains the table holds. Forward sees pod traffic crossing a node (bridged between
 * its pods, between nodes, to and from outside); input sees a local pod's traffic to the node itself.
 */
public enum Hook {
    FORWARD("forward"),
    INPUT("input");

    private final String nftName;

    Hook(String nftName) {
        this.nftName = nftName;
    }

    /** The hook's name as a base chain declares it: {@code type filter hook forward ...}. */
    public String nftName() {
        return nftName;
    }
}
