/**
 * The data-plane benchmark: what policy costs a new connection on the kernel. Lab pods (network namespaces on two
 * Flannel-style nodes) take the addresses of generated pods, and the rate of short TCP connections between them is
 * measured with no table, with conntrack only, with the compiled ruleset and with a linear layout of the same
 * policies ({@link io.nftpolicy.bench.dataplane.LinearLayout}, a benchmark artefact, not product code), alternating
 * in one run. Entry point: {@link io.nftpolicy.bench.dataplane.DataPlaneBenchmark}.
 */
package io.nftpolicy.bench.dataplane;
