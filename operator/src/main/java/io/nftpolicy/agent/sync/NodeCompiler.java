package io.nftpolicy.agent.sync;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Compilation;

/**
 * This node's ruleset from successive snapshots of the cluster, called from the sync loop's thread only: the
 * agent's is {@link io.nftpolicy.compile.IncrementalCompiler}, followed by {@link io.nftpolicy.compile.FailClosed}
 * in fail-closed mode.
 */
@FunctionalInterface
public interface NodeCompiler {
    Compilation compile(ClusterSnapshot snapshot);
}
