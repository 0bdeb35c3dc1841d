package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import java.util.Objects;

/**
 * Compiles successive snapshots of one cluster for one node, reusing what the previous compilation computed.
 *
 * <p>The result is always equal to {@link PolicyCompiler#compile} of the same snapshot. Objects whose content did
 * not change since the previous call are returned as the same instances, so that a consumer comparing two
 * rulesets (the backend's diff) can skip them by identity. Not thread-safe: one caller, one sequence of snapshots.
 */
public final class IncrementalCompiler {
    private final String nodeName;
    private final PolicyCompiler full = new PolicyCompiler();

    public IncrementalCompiler(String nodeName) {
        this.nodeName = Objects.requireNonNull(nodeName, "nodeName");
    }

    public String nodeName() {
        return nodeName;
    }

    public Compilation compile(ClusterSnapshot snapshot) {
        // TODO(issue 4): reuse per-namespace, per-peer and per-group results; for now a full compile.
        return full.compile(snapshot, nodeName);
    }
}
