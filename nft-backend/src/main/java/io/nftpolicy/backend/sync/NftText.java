package io.nftpolicy.backend.sync;

import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.SetElement;

/**
 * The few pieces of nft text the backend writes besides whole rules, spelled exactly as {@link NftRenderer} spells
 * them (through its public methods), so that what the backend sends matches {@code nftpolicy compile} byte for byte.
 *
 * <p>"Effective" comments are what the kernel keeps: the renderer's quoting replaces double quotes and newlines
 * and shortens the text to 127 bytes, and the kernel hands that text back when the table is read. Comparing
 * effective comments makes the model and the read-back table comparable.
 */
final class NftText {
    private static final String COMMENT_PREFIX = " comment \"";

    private NftText() {}

    /** {@code  comment "text"} as the renderer writes it, or the empty string for no comment. */
    static String commentSuffix(String raw) {
        return NftRenderer.renderRule(Rule.of("", raw == null ? "" : raw));
    }

    /** The comment as the kernel keeps it (quoted form without the quotes); empty for none. */
    static String effectiveComment(String raw) {
        String suffix = commentSuffix(raw);
        return suffix.isEmpty() ? "" : suffix.substring(COMMENT_PREFIX.length(), suffix.length() - 1);
    }

    /** {@code "text"}, as nft reads a quoted string; only for non-empty comments. */
    static String quoted(String raw) {
        return commentSuffix(raw).substring(" comment ".length());
    }

    /** The comment a set element carries: its own, or the provenance of merged-set elements. */
    static String rawComment(SetElement element) {
        return element.comment().isEmpty() ? NftRenderer.sourcesComment(element.sources()) : element.comment();
    }

    static String effectiveComment(SetElement element) {
        return effectiveComment(rawComment(element));
    }

    /** {@code key comment "..."}, as in the renderer's {@code elements = { ... }}. */
    static String element(SetElement element) {
        return element.keyToNft() + commentSuffix(rawComment(element));
    }

    /** {@code key comment "..." : jump chain}, as in the renderer's verdict maps. */
    static String element(MapElement element) {
        return element.key() + commentSuffix(element.comment()) + " : jump " + element.chain();
    }
}
