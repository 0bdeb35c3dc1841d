/**
 * The ruleset model: what nftpolicy puts in a node's kernel, one private {@code inet nftpolicy} table of base and
 * per-policy chains, named sets and verdict maps, each rule carrying the policies it comes from ({@code Source}).
 * Immutable and deterministic; {@code NftRenderer} prints it as nft text, the backend diffs and applies it.
 * docs/ruleset.md describes the layout.
 */
package io.nftpolicy.ruleset;
