/**
 * Addresses and prefixes of both families: parsing, containment and the partition of CIDRs with their
 * exceptions into disjoint ranges, as ipBlock and the nft interval sets need them.
 */
package io.nftpolicy.net;
