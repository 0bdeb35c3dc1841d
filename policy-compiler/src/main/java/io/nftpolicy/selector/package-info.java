/**
 * Label selector matching (matchLabels and matchExpressions) with the API server's semantics.
 */
package io.nftpolicy.selector;
