package io.nftpolicy.enforcement;

/** Every test of {@link PortsKernelTest}, with the group chains in the merged-set shape (see {@link Layout}). */
class PortsMergedSetsKernelTest extends PortsKernelTest {
    @Override
    Layout layout() {
        return Layout.MERGED_SETS;
    }
}
