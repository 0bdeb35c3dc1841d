/**
 * Benchmarks of nftpolicy: the compiler under JMH ({@code compile}), the kernel's per-connection cost with and
 * without the compiled ruleset ({@code dataplane}), and how ruleset and transaction sizes grow with the cluster
 * ({@code scaling}). docs/benchmarks.md has the figures and the commands that reproduce them.
 */
package io.nftpolicy.bench;
