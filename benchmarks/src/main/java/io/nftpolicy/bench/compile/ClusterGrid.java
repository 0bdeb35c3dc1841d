package io.nftpolicy.bench.compile;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * What the compiler's benchmarks share: the grid of generated clusters they run on (1k and 10k pods, 200 and 2k
 * policies, {@link BenchCluster}), each call timed in milliseconds, in one fork with a fixed 2 GB heap so that the
 * 10k-pod cluster never waits on heap growth. A benchmark adds its own warm-up and measurement times.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public abstract class ClusterGrid {
    @Param({"1000", "10000"})
    int pods;

    @Param({"200", "2000"})
    int policies;

    /** The generated cluster of this point of the grid. */
    BenchCluster cluster() {
        return BenchCluster.generate(pods, policies);
    }
}
