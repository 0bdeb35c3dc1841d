/**
 * Ruleset and transaction sizes against cluster size ({@code bin/bench scaling}), on the kernel when root.
 */
package io.nftpolicy.bench.scaling;
