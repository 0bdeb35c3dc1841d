package io.nftpolicy.enforcement;

/** Every test of {@link IsolationKernelTest}, with the group chains in the merged-set shape (see {@link Layout}). */
class IsolationMergedSetsKernelTest extends IsolationKernelTest {
    @Override
    Layout layout() {
        return Layout.MERGED_SETS;
    }
}
