/**
 * Reachability matrices (which pod reaches which on a protocol and port, per address family), printed and
 * parsed as the upstream e2e tables: what {@code explain} predicts and what the lab measures.
 */
package io.nftpolicy.reachability;
