/**
 * The kernel's NFLOG groups, read over raw netlink ({@code NETLINK_NETFILTER}, nfnetlink_log) from Java: no native
 * library beyond libc. {@link io.nftpolicy.backend.nflog.NflogSocket} binds a group in one network namespace,
 * {@link io.nftpolicy.backend.nflog.NflogMessages} encodes its configuration and decodes the packets it receives,
 * {@link io.nftpolicy.backend.nflog.PacketHeaders} reads addresses, protocol and ports from a packet, and
 * {@link io.nftpolicy.backend.nflog.DropLogReader} turns nftpolicy's drop logs into attributed
 * {@link io.nftpolicy.backend.nflog.DropRecord}s.
 */
package io.nftpolicy.backend.nflog;
