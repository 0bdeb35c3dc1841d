package io.nftpolicy.bench.dataplane;

import io.nftpolicy.bench.report.MarkdownTable;
import io.nftpolicy.bench.report.SvgChart;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The run's figures as Markdown (for docs/benchmarks.md), a CSV of every round, and the rate-curve plot. */
final class Report {
    static final String PLOT = "dataplane-ratios.svg";

    private Report() {}

    static String markdown(Options options, Environment environment, List<SizeResult> results) {
        StringBuilder md = new StringBuilder();
        md.append("Environment: ").append(environment.summary()).append("\n\n");
        md.append(String.format(Locale.ROOT, "Client: one thread, one connection at a time (connect, 1 byte, "
                        + "answer, close with reset); %d rounds of %.1f s per layout and placement, round 0 "
                        + "discarded; in a round (a), (b), (c), (0) alternate in %d slices; (0) on a twin lab "
                        + "that never holds a table; a pause of %s after loading the rulesets; figures are medians "
                        + "over rounds [min–max], ratios taken round by round.%n%n",
                options.rounds(), options.round().toMillis() / 1000.0, options.slices(),
                options.settle() != null ? options.settle().toMillis() / 1000.0 + " s"
                        : "1 s + 1 s per 10 MB of scripts (at most 6 s)"));
        if (options.clusterPolicies() > 0) {
            md.append(String.format(Locale.ROOT, "(b+) is (b) with %d Admin ClusterNetworkPolicies too (%s), every "
                    + "probed pod their subject, none deciding a probed connection (UndecidingClusterPolicies); it "
                    + "alternates with the others in every round.%n%n", options.clusterPolicies(),
                    options.alternating() ? "their rules Accept and Deny in turn" : "every rule a Deny"));
        }
        if (options.counters()) {
            md.append("(d) is (b) with counters on (docs/ruleset.md, \"Counters\"), in a table of its own, measured in "
                    + "the same slices: (d)/(b) is the cost of counting.\n\n");
        }
        for (SizeResult r : results) {
            md.append("### ").append(r.cluster().label()).append("\n\n");
            md.append(String.format(Locale.ROOT, "%d namespaces × %d pods, %d policies per namespace, 2 nodes. "
                            + "Server %s selected by %d ingress policies; "
                            + "(b) %d rules, %d set/map elements on its node; (c) %d rules.%n%n",
                    r.size().namespaces(), r.size().podsPerNamespace(), r.size().policiesPerNamespace(),
                    r.plan().server().ref(), r.plan().serverPolicies(), r.compiled().ruleCount(),
                    r.compiled().elementCount(), r.linear().ruleCount()));
            if (r.tiered() != null) {
                md.append(String.format(Locale.ROOT, "(b+) %d rules, %d set/map elements on the server's node.%n%n",
                        r.tiered().ruleCount(), r.tiered().elementCount()));
            }
            for (ProbePlan.Probe p : r.plan().probes()) {
                md.append(String.format(Locale.ROOT, "- %s, %s: %s → port %d; (b) rule %d of %d in the server's "
                                + "chain decides%s%n", p.allowed() ? "allowed" : "denied", p.placement().label,
                        p.client().ref(), p.port(), p.ingressRule(), p.ingressRules(),
                        p.egressRules() > 0 ? ", after " + p.egressRules() + " rule(s) of the client's egress chain"
                                : ""));
            }
            md.append(String.format(Locale.ROOT, "- (c): a first packet to the server walks %d lines of its "
                    + "node's forward chain; across nodes, also all %d lines of the client node's.%n%n",
                    r.linearWalked(), r.linearOtherNode()));
            boolean counted = r.rates().containsKey(Layout.COUNTED);
            MarkdownTable table = counted
                    ? MarkdownTable.of("layout", "placement", "connections/s", "ratio to (a)", "ratio to (0)",
                            "ratio to (b)")
                    : MarkdownTable.of("layout", "placement", "connections/s", "ratio to (a)", "ratio to (0)");
            for (ProbePlan.Placement placement : ProbePlan.Placement.values()) {
                if (!r.measured(placement)) {
                    continue;
                }
                for (Layout layout : r.layouts()) {
                    String toA = layout == Layout.STATEFUL ? "1" : ratio(r.ratio(layout, Layout.STATEFUL, placement));
                    String toNone = layout == Layout.NONE ? "1" : ratio(r.ratio(layout, Layout.NONE, placement));
                    table = counted
                            ? table.withRow(layout.label(), placement.label, rate(r.rate(layout, placement)), toA,
                                    toNone, layout == Layout.COMPILED ? "1"
                                            : ratio(r.ratio(layout, Layout.COMPILED, placement)))
                            : table.withRow(layout.label(), placement.label, rate(r.rate(layout, placement)), toA,
                                    toNone);
                }
            }
            md.append(table).append('\n');
            if (r.failures() > 0) {
                md.append("**").append(r.failures()).append(" connections failed during the rounds.**\n\n");
            }
        }
        md.append("### Rate curves: ratio to (a) by cluster size\n\n");
        MarkdownTable curve = MarkdownTable.of("pods", "policies", "policies on server", "(b)/(a) same node",
                "(c)/(a) same node", "(b)/(a) across", "(c)/(a) across", "(c) lines walked");
        for (SizeResult r : results) {
            curve = curve.withRow(r.cluster().pods(), r.cluster().policies(), r.plan().serverPolicies(),
                    curveCell(r, Layout.COMPILED, ProbePlan.Placement.SAME_NODE),
                    curveCell(r, Layout.LINEAR, ProbePlan.Placement.SAME_NODE),
                    curveCell(r, Layout.COMPILED, ProbePlan.Placement.CROSS_NODE),
                    curveCell(r, Layout.LINEAR, ProbePlan.Placement.CROSS_NODE), r.linearWalked());
        }
        md.append(curve).append('\n');
        if (options.counters()) {
            md.append("### Cost of counters: (d)/(b) by cluster size\n\n");
            MarkdownTable cost = MarkdownTable.of("pods", "policies", "(d) rules", "(d) elements",
                    "(d)/(b) same node", "(d)/(b) across");
            for (SizeResult r : results) {
                cost = cost.withRow(r.cluster().pods(), r.cluster().policies(), r.counted().ruleCount(),
                        r.counted().elementCount(), counterCell(r, ProbePlan.Placement.SAME_NODE),
                        counterCell(r, ProbePlan.Placement.CROSS_NODE));
            }
            md.append(cost).append('\n');
        }
        if (options.twin()) {
            md.append("(b') is a second copy of (b), measured after the others in each slice: (b')/(b) is what the "
                    + "method gives two equal tables.\n\n");
            md.append(ratioTable(results, "(b')/(b)", Layout.TWIN, Layout.COMPILED)).append('\n');
        }
        if (options.staged()) {
            md.append("(e) is (d) with a staged deny-all in each probed namespace (StagedDenyAll): (e)/(d) is what "
                    + "staged chains add to a first packet.\n\n");
            md.append(ratioTable(results, "(e)/(d)", Layout.STAGED, Layout.COUNTED)).append('\n');
        }
        return md.toString();
    }

    static String csv(List<SizeResult> results) {
        StringBuilder csv = new StringBuilder("pods,policies,layout,placement,round,connections_per_second\n");
        for (SizeResult r : results) {
            r.rates().forEach((layout, byPlacement) -> byPlacement.forEach((placement, rates) -> {
                for (int round = 0; round < rates.size(); round++) {
                    csv.append(String.format(Locale.ROOT, "%d,%d,%s,%s,%d,%.1f%n", r.cluster().pods(),
                            r.cluster().policies(), layout.letter, placement.name().toLowerCase(Locale.ROOT), round,
                            rates.get(round)));
                }
            }));
        }
        return csv.toString();
    }

    static SvgChart plot(List<SizeResult> results) {
        SvgChart chart = SvgChart.of("New TCP connections per second, relative to conntrack only (a)",
                SvgChart.Axis.log("pods in the cluster"), SvgChart.Axis.linear("rate / rate of (a)"));
        for (ProbePlan.Placement placement : ProbePlan.Placement.values()) {
            for (Layout layout : List.of(Layout.COMPILED, Layout.LINEAR)) {
                List<SvgChart.Point> points = new ArrayList<>();
                for (SizeResult r : results) {
                    if (r.measured(placement)) {
                        points.add(new SvgChart.Point(r.cluster().pods(),
                                r.ratio(layout, Layout.STATEFUL, placement).median()));
                    }
                }
                if (!points.isEmpty()) {
                    chart = chart.with(SvgChart.Series.line("(" + layout.letter + ") "
                            + (layout == Layout.COMPILED ? "compiled" : "linear") + ", " + placement.label, points));
                }
            }
        }
        return chart.withReference("goal for (b): 0.95", 0.95);
    }

    static void write(Options options, Environment environment, List<SizeResult> results) throws IOException {
        Files.createDirectories(options.out());
        Files.createDirectories(options.plots());
        Files.writeString(options.out().resolve("dataplane.md"), markdown(options, environment, results),
                StandardCharsets.UTF_8);
        Files.writeString(options.out().resolve("dataplane-rounds.csv"), csv(results), StandardCharsets.UTF_8);
        plot(results).writeTo(options.plots().resolve(PLOT));
    }

    private static String curveCell(SizeResult r, Layout layout, ProbePlan.Placement placement) {
        return r.measured(placement) ? ratio(r.ratio(layout, Layout.STATEFUL, placement)) : "–";
    }

    private static String counterCell(SizeResult r, ProbePlan.Placement placement) {
        return ratioCell(r, Layout.COUNTED, Layout.COMPILED, placement);
    }

    private static String ratioCell(SizeResult r, Layout layout, Layout reference, ProbePlan.Placement placement) {
        return r.measured(placement) ? ratio(r.ratio(layout, reference, placement)) : "–";
    }

    private static String rate(SizeResult.Figure f) {
        return String.format(Locale.ROOT, "%.0f [%.0f–%.0f]", f.median(), f.min(), f.max());
    }

    private static String ratio(SizeResult.Figure f) {
        return String.format(Locale.ROOT, "%.3f [%.3f–%.3f]", f.median(), f.min(), f.max());
    }

    /** One row per size: {@code layout} over {@code base}, round by round, on one node and across nodes. */
    private static MarkdownTable ratioTable(List<SizeResult> results, String ratio, Layout layout, Layout base) {
        MarkdownTable table = MarkdownTable.of("pods", "policies", ratio + " same node", ratio + " across");
        for (SizeResult r : results) {
            table = table.withRow(r.cluster().pods(), r.cluster().policies(),
                    ratioCell(r, layout, base, ProbePlan.Placement.SAME_NODE),
                    ratioCell(r, layout, base, ProbePlan.Placement.CROSS_NODE));
        }
        return table;
    }
}
