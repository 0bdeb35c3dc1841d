/**
 * Cluster snapshot files: what {@code kubectl get -o yaml|json} prints, read into the compiler's records
 * (with each object's location for error messages) and written back.
 */
package io.nftpolicy.snapshot;
