/**
 * nftpolicy's table as the kernel holds it: {@link io.nftpolicy.backend.kernel.KernelTable}, read back from
 * libnftables' JSON listing by {@link io.nftpolicy.backend.kernel.KernelTableReader}, comparable with the model it
 * was compiled from (sets and maps exactly, rules as {@link io.nftpolicy.backend.kernel.RuleDigest}s).
 */
package io.nftpolicy.backend.kernel;
