package io.nftpolicy.backend.kernel;

import java.util.Objects;

/**
 * Something in nftpolicy's table that nftpolicy never writes: a chain of another type or policy, a set or map of
 * another kind, a flowtable, a named counter. The table is nftpolicy's, so the repair deletes it.
 *
 * @param kind what nft calls it ({@code chain}, {@code set}, {@code map}, {@code flowtable}, {@code counter},
 *             {@code ct helper}...), as in {@code delete KIND inet nftpolicy NAME}
 * @param name its name
 * @param what why it is not nftpolicy's, e.g. {@code base chain of type nat, policy accept}
 */
public record ForeignObject(String kind, String name, String what) {
    public ForeignObject {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(what, "what");
    }
}
