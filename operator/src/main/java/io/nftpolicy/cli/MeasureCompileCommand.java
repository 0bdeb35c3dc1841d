package io.nftpolicy.cli;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.NftRenderer;
import java.io.PrintWriter;
import java.util.Arrays;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nftpolicy measure-compile}: times the compiler on a generated cluster, in this JVM. The figure reported
 * in the README comes from this command; JMH benchmarks (issue 5) give the rigorous version.
 */
@Command(name = "measure-compile",
        description = "Time the compilation of one node's ruleset for a generated cluster (no kernel involved).")
final class MeasureCompileCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin
    ClusterSizeOptions sizes;

    @Option(names = "--runs", defaultValue = "15", description = "Timed runs after warm-up (default ${DEFAULT-VALUE}).")
    int runs;

    @Option(names = "--emit", description = "Also write the node's nft script to this file (e.g. to time nft -f on it).")
    java.nio.file.Path emit;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws UserException {
        PrintWriter out = spec.commandLine().getOut();
        var size = sizes.size();
        ClusterSnapshot snapshot = ClusterGenerator.generate(size);
        PolicyCompiler compiler = new PolicyCompiler();
        String node = ClusterGenerator.nodeName(0);
        long localPods = snapshot.pods().stream().filter(p -> p.nodeName().equals(node)).count();
        out.printf("cluster: %d pods, %d policies, %d namespaces, %d nodes (seed %d); compiling for %s (%d local pods)%n",
                size.pods(), size.policies(), size.namespaces(), size.nodes(), size.seed(), node, localPods);
        Compilation result = null;
        for (int i = 0; i < Math.max(3, runs / 3); i++) {
            result = compiler.compile(snapshot, node);
        }
        long[] compileNanos = new long[runs];
        long[] renderNanos = new long[runs];
        String text = "";
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            result = compiler.compile(snapshot, node);
            long compiled = System.nanoTime();
            text = NftRenderer.render(result.ruleset());
            renderNanos[i] = System.nanoTime() - compiled;
            compileNanos[i] = compiled - start;
        }
        out.printf("compile: median %.1f ms, min %.1f ms, max %.1f ms over %d runs%n",
                median(compileNanos), min(compileNanos), max(compileNanos), runs);
        out.printf("render to nft text: median %.1f ms%n", median(renderNanos));
        out.printf("ruleset: %d chains, %d rules, %d sets, %d set and map elements, %d bytes of nft text, %d diagnostics%n",
                result.ruleset().chains().size(), result.ruleset().ruleCount(), result.ruleset().sets().size(),
                result.ruleset().elementCount(), text.length(), result.diagnostics().size());
        if (emit != null) {
            try {
                java.nio.file.Files.writeString(emit, text);
            } catch (java.io.IOException e) {
                throw new UserException("cannot write " + emit + ": " + e.getMessage());
            }
            out.printf("wrote %s%n", emit);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }

    private static double min(long[] nanos) {
        return Arrays.stream(nanos).min().orElse(0) / 1e6;
    }

    private static double max(long[] nanos) {
        return Arrays.stream(nanos).max().orElse(0) / 1e6;
    }
}
