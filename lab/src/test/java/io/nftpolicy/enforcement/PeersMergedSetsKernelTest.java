package io.nftpolicy.enforcement;

/** Every test of {@link PeersKernelTest}, with the group chains in the merged-set shape (see {@link Layout}). */
class PeersMergedSetsKernelTest extends PeersKernelTest {
    @Override
    Layout layout() {
        return Layout.MERGED_SETS;
    }
}
