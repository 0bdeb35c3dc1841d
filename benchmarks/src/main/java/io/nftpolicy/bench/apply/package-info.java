/**
 * The backend against its baselines on a generated cluster ({@code bin/bench apply}): a one-pod change through
 * the applier vs a bare libnftables transaction, a full apply vs {@code nft -f}.
 */
package io.nftpolicy.bench.apply;
