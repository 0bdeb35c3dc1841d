package io.nftpolicy.compile;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Names of the table's objects. As in kube-proxy: a short hash for uniqueness, then a readable suffix for people;
 * fixed words never collide with nft keywords (a bare {@code fwd} or {@code ingress} does not parse).
 */
public final class ObjectNames {
    static final String FORWARD_CHAIN = "filter-forward";
    static final String INPUT_CHAIN = "filter-input";
    private static final int SUFFIX_MAX = 48;

    private ObjectNames() {}

    static String dispatchMap(PolicyType direction, IpFamily family) {
        return direction.field() + "-" + family.suffix();
    }

    static String groupChain(PolicyType direction, String key, ValidPolicy first) {
        String prefix = direction == PolicyType.INGRESS ? "ing-" : "egr-";
        String readable = (first.namespace() + "_" + first.name()).replaceAll("[^A-Za-z0-9_.-]", "_");
        if (readable.length() > SUFFIX_MAX) {
            readable = readable.substring(0, SUFFIX_MAX);
        }
        return prefix + hash(direction + "|" + key) + "-" + readable;
    }

    static String anySet(String chain, IpFamily family) {
        return chain + "-any-" + family.suffix();
    }

    static String portSet(String chain, IpFamily family) {
        return chain + "-ports-" + family.suffix();
    }

    /** Eight hex digits of SHA-256: short enough to read, long enough not to collide within one table. */
    /** A short hash of the text, for object names. */
    public static String hash(String text) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 4);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
