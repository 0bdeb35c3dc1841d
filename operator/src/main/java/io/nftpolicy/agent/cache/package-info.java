/**
 * The agent's view of the cluster: fabric8 informers on namespaces, pods and policies, turned into immutable
 * snapshots for the compiler and a change signal for the sync loop.
 */
package io.nftpolicy.agent.cache;
