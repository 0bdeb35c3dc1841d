package io.nftpolicy.cli;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.ruleset.NftRenderer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nftpolicy measure-compile}: times the compiler on a generated cluster, in this JVM: a full compile, then
 * the incremental compile (and the applier's diff on top) after one change of each common kind. The figures
 * reported in the README come from this command; JMH benchmarks give the rigorous version.
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
        incremental(out, snapshot, node, compileNanos);
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

    /**
     * The agent's path after one change: {@link IncrementalCompiler} on the changed snapshot, then the applier's diff
     * against the ruleset it committed (the kernel call left out: a kernel applies a few elements in about 2 ms,
     * see measure-apply). Each run undoes the previous change, so every run follows exactly one change.
     */
    private void incremental(PrintWriter out, ClusterSnapshot base, String node, long[] fullNanos) throws UserException {
        Map<String, ClusterSnapshot> changes = new LinkedHashMap<>();
        changes.put("one pod's labels changed (a peer of policies, on another node)", relabelled(base, node));
        changes.put("one pod added (on another node)", withPod(base, node));
        changes.put("one policy created", withPolicy(base));
        out.printf("%nafter one change, alternately applied and undone, %d runs each after warm-up (median ms):%n", runs);
        out.printf("  %-64s %9s %9s %9s %9s%n", "change", "compile", "diff", "total", "vs full");
        for (var change : changes.entrySet()) {
            IncrementalCompiler compiler = new IncrementalCompiler(node);
            RulesetApplier applier = new RulesetApplier(new DiscardingExecutor());
            long[] compile = new long[runs];
            long[] diff = new long[runs];
            int warmUp = Math.max(20, runs);
            for (int i = -warmUp; i < runs; i++) {
                ClusterSnapshot next = (i & 1) == 0 ? change.getValue() : base;
                long start = System.nanoTime();
                var ruleset = compiler.compile(next).ruleset();
                long compiled = System.nanoTime();
                try {
                    applier.apply(ruleset);
                } catch (ApplyException e) {
                    throw new UserException("the applier refused a ruleset: " + e.getMessage());
                }
                if (i >= 0) {
                    compile[i] = compiled - start;
                    diff[i] = System.nanoTime() - compiled;
                }
            }
            long[] total = new long[runs];
            Arrays.setAll(total, i -> compile[i] + diff[i]);
            out.printf(java.util.Locale.ROOT, "  %-64s %9.2f %9.2f %9.2f %8.3fx%n", change.getKey(), median(compile),
                    median(diff), median(total), median(total) / median(fullNanos));
        }
        out.println("  (vs full: incremental compile + diff over the full compile above)");
    }

    /** Accepts every transaction without a kernel: what remains of an apply is the applier's own work. */
    private static final class DiscardingExecutor implements NftExecutor {
        @Override
        public String run(io.nftpolicy.backend.sync.Transaction transaction) {
            return "";
        }

        @Override
        public Optional<KernelTable> readBack() {
            return Optional.empty();
        }
    }

    private static ClusterSnapshot relabelled(ClusterSnapshot s, String node) {
        List<Pod> pods = new ArrayList<>(s.pods());
        for (int i = 0; i < pods.size(); i++) {
            Pod p = pods.get(i);
            if (!p.nodeName().equals(node) && i >= pods.size() / 3) {
                Map<String, String> labels = new HashMap<>(p.labels());
                labels.put("tier", "frontend".equals(labels.get("tier")) ? "backend" : "frontend");
                pods.set(i, new Pod(p.namespace(), p.name(), labels, p.nodeName(), p.hostNetwork(), p.phase(),
                        p.terminating(), p.ips(), p.ports()));
                return new ClusterSnapshot(s.namespaces(), pods, s.policies());
            }
        }
        throw new IllegalStateException("every pod is on " + node);
    }

    private static ClusterSnapshot withPod(ClusterSnapshot s, String node) {
        Pod model = s.pods().stream().filter(p -> !p.nodeName().equals(node)).findFirst().orElseThrow();
        List<Pod> pods = new ArrayList<>(s.pods());
        // 10.127.255.250 is outside the ranges ClusterGenerator hands out (node i owns a /18 of 10.64.0.0/10).
        pods.add(new Pod(model.namespace(), "measure-added", model.labels(), model.nodeName(), false, model.phase(),
                false, List.of("10.127.255.250"), model.ports()));
        return new ClusterSnapshot(s.namespaces(), pods, s.policies());
    }

    private static ClusterSnapshot withPolicy(ClusterSnapshot s) {
        String ns = s.namespaces().get(s.namespaces().size() / 2).name();
        List<NetworkPolicy> policies = new ArrayList<>(s.policies());
        policies.add(new NetworkPolicy(ns, "measure-added", LabelSelector.matchLabels(Map.of("app", "app-3")),
                List.of("Ingress"), List.of(new PolicyRule(List.of(PolicyPeer.podsInNamespaces(
                        LabelSelector.matchLabels(Map.of("tier", "backend")),
                        LabelSelector.matchLabels(Map.of("team", "team-2")))), List.of(PolicyPort.tcp(7000)))), List.of()));
        return new ClusterSnapshot(s.namespaces(), s.pods(), policies);
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
