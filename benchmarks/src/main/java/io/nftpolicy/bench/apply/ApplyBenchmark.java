package io.nftpolicy.bench.apply;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.RulesetDiff;
import io.nftpolicy.backend.sync.TableState;
import io.nftpolicy.backend.sync.Transaction;
import io.nftpolicy.cli.ClusterSizeOptions;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/**
 * {@code bin/bench apply}: the backend's two figures, each measured side by side with its baseline in one
 * run, alternating, in network namespaces of their own:
 * <ol>
 *   <li>an incremental one-pod change on a generated cluster, applied through {@link RulesetApplier} (which holds
 *       the committed state, as the agent's does), against a bare libnftables transaction of the same text; and in
 *       the same rounds the agent's whole path, {@link IncrementalCompiler} on the changed snapshot then the
 *       applier;</li>
 *   <li>a full apply of the node's ruleset into an empty namespace through {@link RulesetApplier} (cold start split
 *       at each {@code --split-at}, and in one transaction) against {@code nft -f} of the rendered text.</li>
 * </ol>
 * The README's and docs/backend.md's figures come from this command.
 */
@Command(name = "bench apply", mixinStandardHelpOptions = true,
        description = {"Time the backend on a generated cluster, each figure side by side with its baseline, "
                + "alternating: an incremental one-pod change through the applier vs a bare libnftables "
                + "transaction of the same elements, and a full apply into an empty network namespace vs "
                + "'nft -f' of the same text. Needs root; creates and removes network namespaces of its own."})
public final class ApplyBenchmark implements Callable<Integer> {
    @Mixin
    ClusterSizeOptions sizes;

    @Option(names = "--changes", defaultValue = "200",
            description = "Timed incremental applies, alternately adding and removing the pod (default ${DEFAULT-VALUE}).")
    int changes;

    @Option(names = "--rounds", defaultValue = "5", description = "Timed full applies of each kind (default ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--split-at", split = ",", paramLabel = "N",
            description = "Cold-start transaction limits to measure, in operations (default: the applier's, "
                    + RulesetApplier.DEFAULT_COLD_START_MAX_OPERATIONS + "); one transaction is always measured too.")
    List<Integer> splitAt = new ArrayList<>(List.of(RulesetApplier.DEFAULT_COLD_START_MAX_OPERATIONS));

    @Spec
    CommandSpec spec;

    private final List<NetworkNamespace> created = new ArrayList<>();

    public static void main(String[] args) {
        System.exit(new CommandLine(new ApplyBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (changes < 2 || rounds < 1 || splitAt.stream().anyMatch(n -> n < 1)) {
            throw new ParameterException(spec.commandLine(),
                    "--changes must be at least 2, --rounds and --split-at at least 1");
        }
        var size = sizes.size();
        ClusterSnapshot cluster = ClusterGenerator.generate(size);
        String node = ClusterGenerator.nodeName(0);
        PolicyCompiler compiler = new PolicyCompiler();
        Ruleset before = compiler.compile(cluster, node).ruleset();
        String text = NftRenderer.render(before);
        out.printf(Locale.ROOT, "cluster: %d pods, %d policies, %d namespaces, %d nodes (seed %d); %s: %d local pods%n",
                size.pods(), size.policies(), size.namespaces(), size.nodes(), size.seed(), node,
                cluster.pods().stream().filter(p -> p.nodeName().equals(node)).count());
        out.printf(Locale.ROOT, "ruleset of %s: %d chains, %d rules, %d sets, %d set and map elements, %d bytes of nft text%n",
                node, before.chains().size(), before.ruleCount(), before.sets().size(), before.elementCount(),
                text.getBytes(StandardCharsets.UTF_8).length);
        out.flush();
        try {
            incremental(out, cluster, node, compiler, before);
            full(out, before, text);
        } finally {
            deleteNamespaces();
        }
        return 0;
    }

    // ---- (a) an incremental one-pod change ----

    private void incremental(PrintWriter out, ClusterSnapshot cluster, String node, PolicyCompiler compiler,
                             Ruleset before) throws Exception {
        Change change = onePodChange(cluster, node, compiler, before);
        Ruleset after = change.after();
        String forward = RulesetDiff.between(TableState.committed(before), after).render();
        String backward = RulesetDiff.between(TableState.committed(after), before).render();
        Transaction.Counts counts = RulesetDiff.between(TableState.committed(before), after).counts();
        out.printf(Locale.ROOT, "%nincremental: %s; transaction: elements +%d -%d, %d bytes:%n", change.what(),
                counts.elementsAdded(), counts.elementsRemoved(), forward.getBytes(StandardCharsets.UTF_8).length);
        forward.lines().forEach(l -> out.println("  " + l));
        out.flush();

        try (Nftables viaApplier = Nftables.openInNamespace(newNamespace());
             Nftables bare = Nftables.openInNamespace(newNamespace());
             Nftables viaAgent = Nftables.openInNamespace(newNamespace())) {
            TimedExecutor executor = new TimedExecutor(new LibnftablesExecutor(viaApplier));
            RulesetApplier applier = new RulesetApplier(executor);
            applier.apply(before);
            new RulesetApplier(new LibnftablesExecutor(bare)).apply(before);
            // The agent's path: each change compiled incrementally from the snapshot, then applied.
            IncrementalCompiler agentCompiler = new IncrementalCompiler(node);
            RulesetApplier agentApplier = new RulesetApplier(new LibnftablesExecutor(viaAgent));
            agentApplier.apply(agentCompiler.compile(cluster).ruleset());

            int warmUp = Math.max(2, Math.min(40, changes / 5)) & ~1;
            long[] applierNanos = new long[changes];
            long[] kernelNanos = new long[changes];
            long[] bareNanos = new long[changes];
            long[] agentCompileNanos = new long[changes];
            long[] agentApplyNanos = new long[changes];
            for (int i = -warmUp; i < changes; i++) {
                boolean add = (i & 1) == 0;
                Ruleset target = add ? after : before;
                long compileStart = System.nanoTime();
                Ruleset compiled = agentCompiler.compile(add ? change.snapshot() : cluster).ruleset();
                long applyStart = System.nanoTime();
                agentApplier.apply(compiled);
                if (i >= 0) {
                    agentCompileNanos[i] = applyStart - compileStart;
                    agentApplyNanos[i] = System.nanoTime() - applyStart;
                }
                String script = add ? forward : backward;
                boolean applierFirst = (i & 2) == 0;
                long a = 0;
                long b = 0;
                if (!applierFirst) {
                    b = time(() -> bare.run(script));
                }
                executor.reset();
                long start = System.nanoTime();
                ApplyResult result = applier.apply(target);
                a = System.nanoTime() - start;
                if (applierFirst) {
                    b = time(() -> bare.run(script));
                }
                if (result.transactions() != 1 || !executor.scripts.equals(List.of(script))) {
                    throw new IllegalStateException("the applier sent " + executor.scripts + ", not " + script);
                }
                if (i >= 0) {
                    applierNanos[i] = a;
                    kernelNanos[i] = executor.nanos.get(0);
                    bareNanos[i] = b;
                }
            }
            if (!applier.verify(before).isEmpty() || !agentApplier.verify(before).isEmpty()) {
                throw new IllegalStateException("after the applies the kernel differs from the model");
            }
            out.printf(Locale.ROOT, "%d applies, alternately adding and removing the pod, side by side:%n", changes);
            row(out, "RulesetApplier.apply (committed state held)", applierNanos);
            row(out, "  of which libnftables run", kernelNanos);
            long[] java = new long[changes];
            Arrays.setAll(java, i -> applierNanos[i] - kernelNanos[i]);
            row(out, "  of which diff and bookkeeping in Java", java);
            row(out, "bare libnftables run of the same text", bareNanos);
            out.printf(Locale.ROOT, "ratio applier / bare: %.2fx (medians; p90 %.2fx; goal <= 3x)%n",
                    median(applierNanos) / median(bareNanos), percentile(applierNanos, 90) / percentile(bareNanos, 90));
            long[] agent = new long[changes];
            Arrays.setAll(agent, i -> agentCompileNanos[i] + agentApplyNanos[i]);
            out.printf(Locale.ROOT, "the agent's path in the same rounds: the changed snapshot compiled incrementally, then applied:%n");
            row(out, "IncrementalCompiler.compile + RulesetApplier.apply", agent);
            row(out, "  of which incremental compile", agentCompileNanos);
            row(out, "  of which apply", agentApplyNanos);
            out.printf(Locale.ROOT, "ratio one-pod change, incremental compile + apply / bare: %.2fx (medians; p90 %.2fx)%n",
                    median(agent) / median(bareNanos), percentile(agent, 90) / percentile(bareNanos, 90));
            out.flush();
        }
    }

    private record Change(String what, Ruleset after, ClusterSnapshot snapshot) {}

    /**
     * A pod added on another node with the labels and ports of one of its pods, so that it joins the peer sets that
     * pod is in: a few element additions in node-0's ruleset, nothing else.
     */
    private Change onePodChange(ClusterSnapshot cluster, String node, PolicyCompiler compiler, Ruleset before)
            {
        TableState committed = TableState.committed(before);
        int tried = 0;
        for (Pod model : cluster.pods()) {
            if (model.nodeName().equals(node) || tried++ > 200) {
                continue;
            }
            Pod added = new Pod(model.namespace(), "measure-added", model.labels(), model.nodeName(), false,
                    model.phase(), false, List.of(spareAddress(model.nodeName())), model.ports());
            List<Pod> pods = new ArrayList<>(cluster.pods());
            pods.add(added);
            ClusterSnapshot changed = new ClusterSnapshot(cluster.namespaces(), pods, cluster.policies());
            Ruleset after = compiler.compile(changed, node).ruleset();
            Transaction tx = RulesetDiff.between(committed, after);
            Transaction.Counts c = tx.counts();
            boolean elementsOnly = c.setsAdded() + c.setsRemoved() + c.chainsAdded() + c.chainsChanged()
                    + c.chainsRemoved() + c.rulesWritten() == 0;
            if (elementsOnly && tx.operations() >= 2 && tx.operations() <= 10) {
                return new Change("pod " + added.ref() + " added on " + added.nodeName() + " (" + added.ips().get(0)
                        + ", labels and ports of " + model.ref() + ")", after, changed);
            }
        }
        throw new IllegalStateException("found no pod whose copy changes " + node + "'s ruleset by 2 to 10 elements only "
                + "(try another --seed or size)");
    }

    /**
     * An address in the node's range (as ClusterGenerator assigns them: node i owns a /18 of 10.64.0.0/10 up to 256
     * nodes, and the benchmarks have 20) that no generated pod has.
     */
    private static String spareAddress(String nodeName) {
        int node = Integer.parseInt(nodeName.substring(nodeName.lastIndexOf('-') + 1));
        return "10." + (64 + node / 4) + "." + ((node % 4) * 64 + 63) + ".251";
    }

    // ---- (b) a full apply into an empty namespace ----

    private void full(PrintWriter out, Ruleset ruleset, String text) throws Exception {
        Path file = Files.createTempFile("nftpolicy-measure-", ".nft");
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
            Map<String, Variant> variants = new LinkedHashMap<>();
            for (int limit : splitAt) {
                variants.put("RulesetApplier, cold start split at " + limit + " operations", applierVariant(ruleset, limit));
            }
            variants.put("RulesetApplier, one transaction", applierVariant(ruleset, Integer.MAX_VALUE));
            variants.put("nft -f of the rendered text (ip netns exec)", ns -> {
                long start = System.nanoTime();
                namespace(ns).loadFile(file.toString());
                return new Timing(System.nanoTime() - start, 1, 0);
            });
            variants.put("libnftables, one run of the rendered text", ns -> {
                try (Nftables nft = Nftables.openInNamespace(ns)) {
                    return new Timing(time(() -> nft.run(text)), 1, 0);
                }
            });
            List<String> names = new ArrayList<>(variants.keySet());
            Map<String, long[]> nanos = new LinkedHashMap<>();
            Map<String, Timing> last = new LinkedHashMap<>();
            names.forEach(n -> nanos.put(n, new long[rounds]));
            // One warm-up round (JIT, page cache), then the timed rounds, each in a rotated order.
            for (int round = -1; round < rounds; round++) {
                for (int k = 0; k < names.size(); k++) {
                    String name = names.get(Math.floorMod(k + round, names.size()));
                    String ns = newNamespace();
                    Timing t = variants.get(name).run(ns);
                    if (round == -1 && k == 0) {
                        try (Nftables nft = Nftables.openInNamespace(ns)) {
                            if (!new RulesetApplier(new LibnftablesExecutor(nft)).verify(ruleset).isEmpty()) {
                                throw new IllegalStateException(name + ": the table read back differs from the model");
                            }
                        }
                    }
                    deleteNamespace(ns);
                    if (round >= 0) {
                        nanos.get(name)[round] = t.nanos();
                        last.put(name, t);
                    }
                }
            }
            out.printf(Locale.ROOT, "%nfull apply into an empty network namespace, %d rounds alternating:%n", rounds);
            String baseline = names.get(names.size() - 2);
            double nftMedian = median(nanos.get(baseline));
            for (String name : names) {
                Timing t = last.get(name);
                row(out, name, nanos.get(name));
                String extra = t.transactions() > 1
                        ? String.format(Locale.ROOT, ", %d transactions, the longest %.1f ms", t.transactions(),
                        t.longestNanos() / 1e6) : "";
                out.printf(Locale.ROOT, "      ratio to nft -f %.2fx%s%n", median(nanos.get(name)) / nftMedian, extra);
            }
            out.println("goal: a full apply within 2x of nft -f");
            out.flush();
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private record Timing(long nanos, int transactions, long longestNanos) {}

    private interface Variant {
        Timing run(String netns) throws Exception;
    }

    private static Variant applierVariant(Ruleset ruleset, int maxOperations) {
        return ns -> {
            try (Nftables nft = Nftables.openInNamespace(ns)) {
                TimedExecutor executor = new TimedExecutor(new LibnftablesExecutor(nft));
                RulesetApplier applier = new RulesetApplier(executor,
                        RulesetApplier.Options.defaults().withColdStartMaxOperations(maxOperations));
                long start = System.nanoTime();
                ApplyResult result = applier.apply(ruleset);
                long nanos = System.nanoTime() - start;
                long longest = executor.nanos.stream().mapToLong(Long::longValue).max().orElse(0);
                return new Timing(nanos, result.transactions(), longest);
            }
        };
    }

    /** Passes scripts on, keeping each and how long the kernel took with it. */
    private static final class TimedExecutor implements NftExecutor {
        private final NftExecutor delegate;
        final List<String> scripts = new ArrayList<>();
        final List<Long> nanos = new ArrayList<>();

        TimedExecutor(NftExecutor delegate) {
            this.delegate = delegate;
        }

        void reset() {
            scripts.clear();
            nanos.clear();
        }

        @Override
        public String run(Transaction transaction) throws ApplyException {
            long start = System.nanoTime();
            String output = delegate.run(transaction);
            nanos.add(System.nanoTime() - start);
            scripts.add(transaction.render());
            return output;
        }

        @Override
        public Optional<KernelTable> readBack() throws ApplyException {
            return delegate.readBack();
        }
    }

    // ---- namespaces, processes, statistics ----

    private String newNamespace() {
        NetworkNamespace ns = NetworkNamespace.create("nftpolicy-measure");
        created.add(ns);
        return ns.name();
    }

    private void deleteNamespace(String name) {
        for (NetworkNamespace ns : List.copyOf(created)) {
            if (ns.name().equals(name)) {
                created.remove(ns);
                ns.close();
            }
        }
    }

    private NetworkNamespace namespace(String name) {
        return created.stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }

    private void deleteNamespaces() {
        for (NetworkNamespace ns : List.copyOf(created)) {
            try {
                deleteNamespace(ns.name());
            } catch (RuntimeException e) {
                System.err.println("bench: warning: cannot delete network namespace " + ns + ": " + e.getMessage());
            }
        }
    }

    private interface KernelCall {
        void run() throws NftablesException;
    }

    private static long time(KernelCall call) throws NftablesException {
        long start = System.nanoTime();
        call.run();
        return System.nanoTime() - start;
    }

    private static void row(PrintWriter out, String name, long[] nanos) {
        out.printf(Locale.ROOT, "  %-56s median %8.2f ms  p90 %8.2f ms  min %8.2f ms%n", name, median(nanos) / 1e6,
                percentile(nanos, 90) / 1e6, Arrays.stream(nanos).min().orElse(0) / 1e6);
    }

    private static double median(long[] values) {
        return percentile(values, 50);
    }

    private static double percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
