/**
 * What the agent tells the cluster about itself: its node's NodePolicyStatus ({@code StatusReporter}) and
 * Kubernetes Events ({@code EventRecorder}), written on a thread of their own so the sync loop never waits on
 * the API server.
 */
package io.nftpolicy.agent.reporting;
