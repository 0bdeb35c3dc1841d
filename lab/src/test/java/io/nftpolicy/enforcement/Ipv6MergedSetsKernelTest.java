package io.nftpolicy.enforcement;

/** Every test of {@link Ipv6KernelTest}, with the group chains in the merged-set shape (see {@link Layout}). */
class Ipv6MergedSetsKernelTest extends Ipv6KernelTest {
    @Override
    Layout layout() {
        return Layout.MERGED_SETS;
    }
}
