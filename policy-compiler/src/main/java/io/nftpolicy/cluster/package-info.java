/**
 * The cluster as the compiler sees it: namespaces, pods (addresses, labels, named ports, phase) and the snapshot
 * that holds them with the policies; Kubernetes name rules ({@code KubernetesNames}).
 */
package io.nftpolicy.cluster;
