package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;

/** Compiles a cluster snapshot into the ruleset one node enforces. Stateless and thread-safe. */
public final class PolicyCompiler {
    public Compilation compile(ClusterSnapshot snapshot, String nodeName) {
        throw new IllegalStateException("compiler being written");
    }
}
