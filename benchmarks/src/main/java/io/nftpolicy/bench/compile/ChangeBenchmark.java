package io.nftpolicy.bench.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.compile.PolicyCompiler;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Recompiling node-0's ruleset after one change ({@link BenchCluster.Change}): {@link IncrementalCompiler}, which
 * the agent uses, next to a full {@link PolicyCompiler} compile of the same snapshots. Goal (issue 5): one change
 * in at most 10 ms at 10k pods / 2k policies.
 *
 * <p>Each call compiles the other snapshot of the pair (before, after, before, ...), so every call sees exactly one
 * change: applying it, then undoing it. Both snapshots are built in setup; building them is the informer cache's
 * work, not the compiler's.
 */
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ChangeBenchmark extends ClusterGrid {
    @Param({"relabel-pod", "add-pod", "create-policy"})
    String change;

    private ClusterSnapshot[] pair;
    private int next;
    private IncrementalCompiler incremental;
    private final PolicyCompiler full = new PolicyCompiler();

    @Setup(Level.Trial)
    public void generate() {
        BenchCluster cluster = cluster();
        pair = new ClusterSnapshot[] {cluster.snapshot(), cluster.after(BenchCluster.Change.of(change))};
        incremental = new IncrementalCompiler(BenchCluster.NODE);
        incremental.compile(pair[0]);
        next = 1;
    }

    private ClusterSnapshot nextSnapshot() {
        ClusterSnapshot snapshot = pair[next];
        next = 1 - next;
        return snapshot;
    }

    @Benchmark
    public Compilation incremental() {
        return incremental.compile(nextSnapshot());
    }

    @Benchmark
    public Compilation full() {
        return full.compile(nextSnapshot(), BenchCluster.NODE);
    }
}
