/**
 * libnftables through jnr-ffi: how nftpolicy changes the kernel's nftables without running {@code nft}.
 *
 * <ul>
 *   <li>{@link io.nftpolicy.backend.libnftables.Nftables}: one context on a thread of its own (optionally inside a
 *       named network namespace); a buffer of commands is one transaction; JSON output, dry runs, listings.</li>
 *   <li>{@link io.nftpolicy.backend.libnftables.NftablesException}: what libnftables said when it refused, in its
 *       own words, with the failing command picked out.</li>
 *   <li>{@link io.nftpolicy.backend.libnftables.NftablesUnavailableException}: no usable libnftables on this
 *       machine ({@code apt-get install libnftables1}).</li>
 * </ul>
 *
 * Written against libnftables 1.0.6 (Debian bookworm), the oldest version nftpolicy supports.
 */
package io.nftpolicy.backend.libnftables;
