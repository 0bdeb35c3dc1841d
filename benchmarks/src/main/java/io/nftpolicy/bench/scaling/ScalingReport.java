package io.nftpolicy.bench.scaling;

import io.nftpolicy.bench.compile.BenchCluster.Change;
import io.nftpolicy.bench.report.MarkdownTable;
import io.nftpolicy.bench.report.SvgChart;
import io.nftpolicy.bench.report.SvgChart.Axis;
import io.nftpolicy.bench.report.SvgChart.Point;
import io.nftpolicy.bench.report.SvgChart.Series;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/** The figures of every size as one Markdown table and the plots of docs/benchmarks.md's "Scaling" section. */
record ScalingReport(List<SizeFigures> sizes) {
    static final long GOAL_TRANSACTION_BYTES = 1024;
    static final double GOAL_COMPILE_MILLIS = 1000;
    /** The changes whose transaction the "one pod change" goal is about. */
    static final List<Change> POD_CHANGES = List.of(Change.RELABEL_POD, Change.RELABEL_REMOTE_POD, Change.ADD_POD);

    ScalingReport {
        sizes = List.copyOf(sizes);
    }

    MarkdownTable table() {
        MarkdownTable table = MarkdownTable.of("pods", "policies", "namespaces", "node-0 pods", "chains", "rules",
                "sets", "elements", "nft text", "compile", "relabel-pod tx", "relabel-remote-pod tx", "add-pod tx",
                "relabel-pod-new-group tx", "create-policy tx", "relabel-pod in kernel");
        for (SizeFigures s : sizes) {
            table = table.withRow(count(s.pods()), count(s.policies()), count(s.namespaces()), count(s.localPods()),
                    count(s.chains()), count(s.rules()), count(s.sets()), count(s.elements()),
                    bytes(s.renderedBytes()), millis(s.compileMillis()), transaction(s, Change.RELABEL_POD),
                    transaction(s, Change.RELABEL_REMOTE_POD), transaction(s, Change.ADD_POD),
                    transaction(s, Change.RELABEL_POD_NEW_GROUP),
                    transaction(s, Change.CREATE_POLICY),
                    s.changes().get(Change.RELABEL_POD).kernelMillis().stream()
                            .mapToObj(ScalingReport::millis).findFirst().orElse("-"));
        }
        return table;
    }

    /** Writes the plots into {@code dir}; returns their paths (a plot without any size to show is left out). */
    List<Path> writeCharts(Path dir) {
        Path elements = dir.resolve("scaling-elements.svg");
        Path rules = dir.resolve("scaling-rules.svg");
        Path compile = dir.resolve("scaling-compile.svg");
        Path txByPods = dir.resolve("scaling-transaction-pods.svg");
        Path txByPolicies = dir.resolve("scaling-transaction-density.svg");
        byPolicies(SvgChart.of("node-0 ruleset: set and map elements", Axis.log("pods in the cluster"),
                Axis.log("elements")), SizeFigures::pods, s -> s.elements()).writeTo(elements);
        byPods(SvgChart.of("node-0 ruleset: rules", Axis.log("policies in the cluster"), Axis.log("rules")),
                s -> s.rules()).writeTo(rules);
        byPolicies(SvgChart.of("Full compile of node-0's ruleset", Axis.log("pods in the cluster"),
                Axis.log("time (ms)")), SizeFigures::pods, SizeFigures::compileMillis)
                .withReference("goal: 1 s at 10k pods / 2k policies", GOAL_COMPILE_MILLIS).writeTo(compile);
        // At one policy density (10 policies per namespace of 50 pods) the cluster grows and nothing else does.
        List<Path> written = new ArrayList<>(List.of(elements, rules, compile));
        transactions(Series::line, "One pod change, namespaces of 50 pods and 10 policies",
                Axis.log("pods in the cluster"), s -> s.pods() == 50 * s.namespaces()
                        && s.policies() == 10 * s.namespaces(), SizeFigures::pods)
                .ifPresent(chart -> {
                    chart.writeTo(txByPods);
                    written.add(txByPods);
                });
        transactions(Series::points, "One pod change against policy density, every size",
                Axis.log("policies per namespace"), s -> true, s -> s.policies() / (double) s.namespaces())
                .ifPresent(chart -> {
                    chart.writeTo(txByPolicies);
                    written.add(txByPolicies);
                });
        return written;
    }

    /** Empty when no size is of {@code which}. */
    private Optional<SvgChart> transactions(BiFunction<String, List<Point>, Series> style, String title, Axis x,
                                            Predicate<SizeFigures> which, ToDoubleFunction<SizeFigures> xValue) {
        List<SizeFigures> chosen = sizes.stream().filter(which).toList();
        if (chosen.isEmpty()) {
            return Optional.empty();
        }
        SvgChart chart = SvgChart.of(title, x, Axis.linear("bytes of nft commands sent"));
        for (Change change : POD_CHANGES) {
            chart = chart.with(style.apply(change.label(),
                    points(chosen, xValue, s -> s.changes().get(change).bytes())));
        }
        return Optional.of(chart.withReference("goal: 1 KB", GOAL_TRANSACTION_BYTES));
    }

    /** The transactions of every change at the largest size: the examples docs/benchmarks.md shows. */
    String transactionsOfTheLargestSize() {
        SizeFigures largest = sizes.get(sizes.size() - 1);
        StringBuilder out = new StringBuilder();
        for (Change change : Change.values()) {
            SizeFigures.Transaction tx = largest.changes().get(change);
            if (tx == null) {
                out.append("# ").append(change.label()).append(": not possible at this size\n\n");
                continue;
            }
            out.append("# ").append(change.label()).append(" at ").append(count(largest.pods())).append(" pods, ")
                    .append(count(largest.policies())).append(" policies: ").append(tx.bytes()).append(" bytes, ")
                    .append(tx.operations()).append(" operations, ").append(withoutComments(tx.script()))
                    .append(" bytes without comments (undo: ").append(tx.undoBytes())
                    .append(" bytes); the largest of its transactions:\n").append(tx.script()).append('\n');
        }
        return out.toString();
    }

    /** The size of a script without its comments: how much of a transaction is provenance. */
    static long withoutComments(String script) {
        return script.replaceAll(" comment \"[^\"]*\"", "").getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    /** Whether every pod change, at every size, sent at most {@link #GOAL_TRANSACTION_BYTES}. */
    boolean podChangesWithinGoal() {
        return sizes.stream().allMatch(s -> POD_CHANGES.stream()
                .allMatch(c -> s.changes().get(c).bytes() <= GOAL_TRANSACTION_BYTES));
    }

    private SvgChart byPolicies(SvgChart chart, ToDoubleFunction<SizeFigures> x, ToDoubleFunction<SizeFigures> y) {
        for (Map.Entry<Integer, List<SizeFigures>> group : groups(SizeFigures::policies).entrySet()) {
            chart = chart.with(Series.line(count(group.getKey()) + " policies", points(group.getValue(), x, y)));
        }
        return chart;
    }

    private SvgChart byPods(SvgChart chart, ToDoubleFunction<SizeFigures> y) {
        for (Map.Entry<Integer, List<SizeFigures>> group : groups(SizeFigures::pods).entrySet()) {
            chart = chart.with(Series.line(count(group.getKey()) + " pods",
                    points(group.getValue(), SizeFigures::policies, y)));
        }
        return chart;
    }

    private Map<Integer, List<SizeFigures>> groups(Function<SizeFigures, Integer> key) {
        return sizes.stream().collect(Collectors.groupingBy(key, TreeMap::new, Collectors.toList()));
    }

    private static List<Point> points(List<SizeFigures> sizes, ToDoubleFunction<SizeFigures> x,
                                      ToDoubleFunction<SizeFigures> y) {
        return sizes.stream().map(s -> new Point(x.applyAsDouble(s), y.applyAsDouble(s))).toList();
    }

    private static String transaction(SizeFigures s, Change change) {
        SizeFigures.Transaction tx = s.changes().get(change);
        return tx == null ? "n/a" : count(tx.bytes()) + " B";
    }

    static String count(long n) {
        return String.format(Locale.ROOT, "%,d", n);
    }

    static String bytes(long n) {
        if (n >= 1_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", n / 1e6);
        }
        if (n >= 10_000) {
            return String.format(Locale.ROOT, "%.0f kB", n / 1e3);
        }
        return count(n) + " B";
    }

    static String millis(double ms) {
        return ms >= 10 ? String.format(Locale.ROOT, "%.0f ms", ms) : String.format(Locale.ROOT, "%.1f ms", ms);
    }
}
