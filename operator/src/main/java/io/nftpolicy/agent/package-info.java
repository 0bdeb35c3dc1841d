/**
 * The per-node agent ({@code nftpolicy run}): {@code Agent} wires the watch cache, the sync loop, the reporting
 * and the health and metrics endpoints; docs/agent.md describes it.
 */
package io.nftpolicy.agent;
