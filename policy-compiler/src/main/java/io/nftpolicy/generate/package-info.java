/**
 * Generated clusters of any size (namespaces, pods, policies, nodes, seeded): the input of the benchmarks,
 * measurements and {@code nftpolicy generate}.
 */
package io.nftpolicy.generate;
