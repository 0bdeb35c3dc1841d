package io.nftpolicy.backend.libnftables;

/**
 * For tests of code that opens libnftables (the command line, in the operator module): opening it under a library
 * name that is installed nowhere gives the exception a machine without libnftables1 gives.
 */
public final class MissingLibrary {
    private MissingLibrary() {}

    /** Always throws the {@link NftablesUnavailableException} of a machine without libnftables. */
    public static Nftables open(String netns) throws NftablesException {
        return Nftables.open("nftables-not-installed-here", netns);
    }
}
