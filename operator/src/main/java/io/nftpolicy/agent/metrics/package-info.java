/**
 * The agent's Prometheus metrics and its health and readiness endpoints.
 */
package io.nftpolicy.agent.metrics;
