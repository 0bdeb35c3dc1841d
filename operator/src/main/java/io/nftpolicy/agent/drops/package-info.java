/**
 * The agent's drop log: {@link io.nftpolicy.agent.drops.DropLogWriter} reads the node's NFLOG group and writes one
 * JSON line per dropped connection attempt to logger {@code io.nftpolicy.drops} (standard output, apart from the
 * agent's own log).
 */
package io.nftpolicy.agent.drops;
