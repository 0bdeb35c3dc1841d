/**
 * NetworkPolicy v1 as plain records: selectors, peers, ports, ip blocks and the policy types, validated where
 * they are made, independent of any Kubernetes client library.
 */
package io.nftpolicy.policy;
