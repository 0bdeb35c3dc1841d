/**
 * The agent's sync loop: each change compiled incrementally for this node and applied, drift checks of the
 * kernel's table, and what each round reports.
 */
package io.nftpolicy.agent.sync;
