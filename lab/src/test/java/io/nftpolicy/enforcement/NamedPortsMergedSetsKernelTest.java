package io.nftpolicy.enforcement;

/** Every test of {@link NamedPortsKernelTest}, with the group chains in the merged-set shape (see {@link Layout}). */
class NamedPortsMergedSetsKernelTest extends NamedPortsKernelTest {
    @Override
    Layout layout() {
        return Layout.MERGED_SETS;
    }
}
