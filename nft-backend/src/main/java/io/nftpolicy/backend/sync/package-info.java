/**
 * Atomic, incremental application of a compiled {@link io.nftpolicy.ruleset.Ruleset} to the kernel.
 *
 * <p>Contract with the rest of the node: the backend touches one table, {@code inet nftpolicy}, and nothing else.
 * Every change is one nftables transaction, applied by the kernel all or nothing, and holds only the difference
 * between what was committed and the new model. The table and its base chains ({@code filter-forward},
 * {@code filter-input}) are created once and never deleted, flushed away or recreated in steady state: deleting a
 * base chain unregisters its hook and lets packets through unfiltered for a moment. A base chain whose rules change
 * is flushed and refilled inside one transaction, so no packet ever sees it empty.
 *
 * <p>The pieces:
 * <ul>
 *   <li>{@link io.nftpolicy.backend.sync.Transaction}: typed operations on the table, rendered as an
 *       {@code nft -f} script in the renderer's own spelling; counts for metrics; the cold-start split.</li>
 *   <li>{@link io.nftpolicy.backend.sync.TableState}: what the kernel holds (nothing, the last committed ruleset,
 *       or the table read back).</li>
 *   <li>{@link io.nftpolicy.backend.sync.RulesetDiff}: the ordered transaction from a state to a ruleset.</li>
 *   <li>{@link io.nftpolicy.backend.sync.Drift}: the same comparison, in words, for {@code nftpolicy verify}; whole
 *       or per object, for {@link io.nftpolicy.backend.sync.SteppedVerifier}, which checks the table one listing of
 *       one object at a time (the agent's periodic drift check).</li>
 *   <li>{@link io.nftpolicy.backend.sync.RulesetApplier}: the entry point; keeps the committed state, reads back
 *       when it is unknown, splits a large cold start.</li>
 *   <li>{@link io.nftpolicy.backend.sync.NftExecutor}: the kernel behind one interface, implemented on
 *       libnftables by {@link io.nftpolicy.backend.sync.LibnftablesExecutor} and in memory by the tests' fake.</li>
 * </ul>
 *
 * <p>Kernel behaviour this relies on, verified on kernel 6.18 with nft 1.0.6: in one transaction a map element can
 * be deleted and added again with another verdict, a chain can be deleted right after the last map element
 * jumping to it, a non-empty chain can be deleted, a set can be deleted and declared anew once the chains using it
 * were flushed, and a chain can be deleted and re-added. {@code add} of an existing set, map or chain ignores a
 * different comment, so a changed comment needs the object recreated; {@code add} of an existing element ignores a
 * different comment too, hence delete and add. An interval may only be added once the overlapping interval it
 * replaces is deleted.
 */
package io.nftpolicy.backend.sync;
