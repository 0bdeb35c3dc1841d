package io.nftpolicy.bench.scaling;

import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.bench.compile.BenchCluster.Change;
import io.nftpolicy.bench.compile.BenchCluster;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * Measures one {@link BenchCluster}: compiles node-0's ruleset, counts it, times the compile, and sends it through
 * the backend's {@link RulesetApplier} followed by each {@link Change} and its undo, recording the transactions.
 * With a kernel, the applier works on a fresh network namespace of its own through libnftables, so every
 * transaction is also one the kernel accepted; without, it works on a recording executor that stands for an empty
 * table. The transactions are the same either way: the applier diffs against what it committed.
 */
final class SizeMeasurement {
    private static final int WARMUP_COMPILES = 3;

    private final int timedCompiles;
    private final boolean kernel;

    SizeMeasurement(int timedCompiles, boolean kernel) {
        this.timedCompiles = timedCompiles;
        this.kernel = kernel;
    }

    SizeFigures measure(BenchCluster cluster) throws IOException, ApplyException {
        PolicyCompiler compiler = new PolicyCompiler();
        Compilation compilation = compiler.compile(cluster.snapshot(), BenchCluster.NODE);
        if (!compilation.diagnostics().isEmpty()) {
            throw new IllegalStateException("the generated cluster " + cluster.size() + " has invalid objects: "
                    + compilation.diagnostics());
        }
        Ruleset ruleset = compilation.ruleset();
        long renderedBytes = NftRenderer.render(ruleset).getBytes(StandardCharsets.UTF_8).length;
        double compileMillis = timeCompile(compiler, cluster.snapshot());
        int localPods = (int) cluster.snapshot().pods().stream()
                .filter(p -> p.nodeName().equals(BenchCluster.NODE)).count();
        Map<Change, SizeFigures.Transaction> changes = kernel ? changesOnKernel(cluster) : changes(cluster,
                RecordingExecutor.withoutKernel(), false);
        return new SizeFigures(cluster.pods(), cluster.policies(), cluster.size().namespaces(), localPods,
                ruleset.chains().size(), ruleset.ruleCount(), ruleset.sets().size() + ruleset.maps().size(),
                ruleset.elementCount(), renderedBytes, compileMillis, changes);
    }

    private double timeCompile(PolicyCompiler compiler, ClusterSnapshot snapshot) {
        for (int i = 0; i < WARMUP_COMPILES; i++) {
            compiler.compile(snapshot, BenchCluster.NODE);
        }
        double[] millis = new double[timedCompiles];
        for (int i = 0; i < timedCompiles; i++) {
            long start = System.nanoTime();
            compiler.compile(snapshot, BenchCluster.NODE);
            millis[i] = (System.nanoTime() - start) / 1e6;
        }
        Arrays.sort(millis);
        return millis[millis.length / 2];
    }

    private Map<Change, SizeFigures.Transaction> changesOnKernel(BenchCluster cluster)
            throws IOException, ApplyException {
        try (NetworkNamespace netns = NetworkNamespace.create("nftb-scale");
             LibnftablesExecutor nft = LibnftablesExecutor.openInNamespace(netns.name())) {
            return changes(cluster, RecordingExecutor.passingTo(nft), true);
        }
    }

    private static Map<Change, SizeFigures.Transaction> changes(BenchCluster cluster, RecordingExecutor executor,
                                                                boolean onKernel) throws ApplyException {
        IncrementalCompiler compiler = new IncrementalCompiler(BenchCluster.NODE);
        RulesetApplier applier = new RulesetApplier(executor);
        Ruleset before = compiler.compile(cluster.snapshot()).ruleset();
        applier.apply(before);
        executor.takeScripts();
        Map<Change, SizeFigures.Transaction> figures = new EnumMap<>(Change.class);
        for (Change change : Change.values()) {
            if (!cluster.allows(change)) {
                continue;
            }
            ApplyResult done = applier.apply(compiler.compile(cluster.after(change)).ruleset());
            List<String> scripts = executor.takeScripts();
            ApplyResult undone = applier.apply(compiler.compile(cluster.snapshot()).ruleset());
            executor.takeScripts();
            String largest = scripts.stream().max(Comparator.comparingInt(String::length)).orElse("");
            figures.put(change, new SizeFigures.Transaction(done.bytes(), done.operations(), undone.bytes(), largest,
                    onKernel ? OptionalDouble.of(done.durationNanos() / 1e6) : OptionalDouble.empty()));
        }
        return figures;
    }
}
