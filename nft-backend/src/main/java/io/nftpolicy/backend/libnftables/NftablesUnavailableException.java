package io.nftpolicy.backend.libnftables;

/** libnftables is missing from this machine, or too old to have a function nftpolicy calls. */
public final class NftablesUnavailableException extends NftablesException {
    private static final long serialVersionUID = 1L;

    /** The Debian (and Ubuntu) package that holds libnftables.so.1. */
    public static final String DEBIAN_PACKAGE = "libnftables1";

    /**
     * @param library the name the library was loaded by
     * @param reason  what went wrong, e.g. jnr-ffi's message or the functions it lacks
     */
    NftablesUnavailableException(String library, String reason, Throwable cause) {
        super("libnftables cannot be used (library \"" + library + "\": " + reason
                + "). nftpolicy needs libnftables 1.0.6 or later: install it with apt-get install "
                + DEBIAN_PACKAGE + " (Debian, Ubuntu).", cause);
    }
}
