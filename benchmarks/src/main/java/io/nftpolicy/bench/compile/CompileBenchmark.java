package io.nftpolicy.bench.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A full compile of node-0's ruleset from a snapshot ({@link PolicyCompiler}), and rendering that ruleset as the
 * {@code nft -f} text that a cold start sends. Goal (issue 5): 10k pods / 2k policies in at most 1 s on 2 cores.
 *
 * <p>Two-second iterations: a 10k-pod compile takes hundreds of milliseconds, so shorter ones hold too few calls.
 */
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class CompileBenchmark extends ClusterGrid {
    private final PolicyCompiler compiler = new PolicyCompiler();
    private ClusterSnapshot snapshot;
    private Ruleset ruleset;

    @Setup(Level.Trial)
    public void generate() {
        snapshot = cluster().snapshot();
        Compilation compilation = compiler.compile(snapshot, BenchCluster.NODE);
        if (!compilation.diagnostics().isEmpty()) {
            throw new IllegalStateException("the generated cluster has invalid objects: " + compilation.diagnostics());
        }
        ruleset = compilation.ruleset();
    }

    @Benchmark
    public Compilation compile() {
        return compiler.compile(snapshot, BenchCluster.NODE);
    }

    @Benchmark
    public String render() {
        return NftRenderer.render(ruleset);
    }
}
