package io.nftpolicy.bench.dataplane;

import io.nftpolicy.bench.report.MarkdownTable;
import io.nftpolicy.bench.report.SvgChart;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** The figures of {@code bin/bench peer}: a Markdown report, CSVs of every round and sample, a plot, one line. */
final class PeerReport {
    static final String PLOT = "peer-ratios.svg";
    static final String NFTPOLICY = "nftpolicy";
    static final String PEER = "kube-network-policies";

    private PeerReport() {}

    /** {@code peer: nftpolicy <ratio>, kube-network-policies <ratio>}: cross-node rate over (a), median of rounds. */
    static String line(List<PeerPhase> phases) {
        return String.format(Locale.ROOT, "peer: nftpolicy %.3f, kube-network-policies %.3f",
                median(ratios(phases, NFTPOLICY, ProbePlan.Placement.CROSS_NODE)),
                median(ratios(phases, PEER, ProbePlan.Placement.CROSS_NODE)));
    }

    static String markdown(String header, List<PeerPhase> phases) {
        StringBuilder md = new StringBuilder(header).append("\n\n");
        MarkdownTable rates = MarkdownTable.of("agent", "placement", "(a) connections/s", "agent connections/s",
                "agent / (a)");
        for (ProbePlan.Placement placement : ProbePlan.Placement.values()) {
            for (String agent : List.of(NFTPOLICY, PEER)) {
                List<PeerPhase> mine = of(phases, agent);
                rates = rates.withRow(agent, placement.label,
                        figure(mine.stream().map(p -> p.rates().get(placement)[0]).toList(), "%.0f"),
                        figure(mine.stream().map(p -> p.rates().get(placement)[1]).toList(), "%.0f"),
                        figure(ratios(phases, agent, placement), "%.3f"));
            }
        }
        md.append("New connections per second, median [min–max] over rounds, ratios taken round by round:\n\n")
                .append(rates).append('\n');

        MarkdownTable latency = MarkdownTable.of("agent", "event", "samples", "p50 ms", "p99 ms", "max ms");
        for (String event : PeerPhase.EVENTS) {
            for (String agent : List.of(NFTPOLICY, PEER)) {
                List<Double> samples = of(phases, agent).stream()
                        .flatMap(p -> p.latencies().getOrDefault(event, List.of()).stream()).sorted().toList();
                if (samples.isEmpty()) {
                    continue;
                }
                latency = latency.withRow(agent, event, samples.size(), ms(rank(samples, 0.50)),
                        ms(rank(samples, 0.99)), ms(samples.get(samples.size() - 1)));
            }
        }
        md.append("Event to enforcement, from the API request to the first of a run of probe connections with the "
                + "new outcome (nearest-rank percentiles over every round's samples):\n\n").append(latency).append('\n');

        MarkdownTable resources = MarkdownTable.of("agent", "CPU idle (cores)", "CPU under churn (cores)",
                "RSS idle (MB)", "RSS after churn (MB)", "peak RSS (MB)", "start to enforcing (s)");
        for (String agent : List.of(NFTPOLICY, PEER)) {
            List<PeerPhase> mine = of(phases, agent);
            resources = resources.withRow(agent,
                    figure(values(mine, p -> p.idle().cpuPerSecond()), "%.3f"),
                    figure(values(mine, p -> p.churn().cpuPerSecond()), "%.3f"),
                    figure(values(mine, p -> p.idle().rss() / 1e6), "%.0f"),
                    figure(values(mine, p -> p.churn().rss() / 1e6), "%.0f"),
                    figure(values(mine, p -> p.churn().peakRss() / 1e6), "%.0f"),
                    figure(values(mine, PeerPhase::startSeconds), "%.1f"));
        }
        md.append("The server node's instance, median [min–max] over rounds:\n\n").append(resources).append('\n');
        md.append("Load average (1/5/15 min) at the end of each phase: ");
        md.append(String.join("; ", phases.stream().map(p -> "round " + p.round() + " " + p.agent() + " "
                + p.load()).toList())).append("\n\n");
        md.append(line(phases)).append('\n');
        return md.toString();
    }

    static String roundsCsv(List<PeerPhase> phases) {
        StringBuilder csv = new StringBuilder("round,agent,placement,stateful_per_second,agent_per_second,ratio,"
                + "idle_cpu,churn_cpu,idle_rss_bytes,churn_rss_bytes,peak_rss_bytes,churn_events,start_seconds,load\n");
        for (PeerPhase p : phases) {
            for (ProbePlan.Placement placement : ProbePlan.Placement.values()) {
                csv.append(String.format(Locale.ROOT, "%d,%s,%s,%.1f,%.1f,%.4f,%.4f,%.4f,%d,%d,%d,%d,%.1f,%s%n",
                        p.round(), p.agent(), placement.name().toLowerCase(Locale.ROOT), p.rates().get(placement)[0],
                        p.rates().get(placement)[1], p.ratio(placement), p.idle().cpuPerSecond(),
                        p.churn().cpuPerSecond(), p.idle().rss(), p.churn().rss(), p.churn().peakRss(),
                        p.churnEvents(), p.startSeconds(), p.load().replace(' ', '/')));
            }
        }
        return csv.toString();
    }

    static String latencyCsv(List<PeerPhase> phases) {
        StringBuilder csv = new StringBuilder("round,agent,event,sample,milliseconds\n");
        for (PeerPhase p : phases) {
            p.latencies().forEach((event, samples) -> {
                for (int i = 0; i < samples.size(); i++) {
                    csv.append(String.format(Locale.ROOT, "%d,%s,%s,%d,%.2f%n", p.round(), p.agent(), event, i,
                            samples.get(i)));
                }
            });
        }
        return csv.toString();
    }

    /** Each agent's rate over (a), round by round, on one node and across nodes. */
    static SvgChart plot(List<PeerPhase> phases) {
        SvgChart chart = SvgChart.of("nftpolicy and kube-network-policies: new TCP connections per second, "
                + "relative to conntrack only (a)", SvgChart.Axis.linear("round"),
                SvgChart.Axis.linear("rate / rate of (a)"));
        for (String agent : List.of(NFTPOLICY, PEER)) {
            for (ProbePlan.Placement placement : ProbePlan.Placement.values()) {
                List<SvgChart.Point> points = new ArrayList<>();
                for (PeerPhase p : of(phases, agent)) {
                    points.add(new SvgChart.Point(p.round(), p.ratio(placement)));
                }
                if (!points.isEmpty()) { // a run cut short, or its report written after the first phase
                    chart = chart.with(SvgChart.Series.line(agent + ", " + placement.label, points));
                }
            }
        }
        return chart.withReference("(a) conntrack only", 1.0);
    }

    private static List<PeerPhase> of(List<PeerPhase> phases, String agent) {
        return phases.stream().filter(p -> p.agent().equals(agent)).toList();
    }

    private static List<Double> ratios(List<PeerPhase> phases, String agent, ProbePlan.Placement placement) {
        return of(phases, agent).stream().map(p -> p.ratio(placement)).toList();
    }

    private static List<Double> values(List<PeerPhase> phases, ToDoubleFunction<PeerPhase> value) {
        return phases.stream().map(value::applyAsDouble).toList();
    }

    static double median(List<Double> values) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Nearest rank. */
    static double rank(List<Double> sorted, double q) {
        return sorted.get(Math.max(0, (int) Math.ceil(q * sorted.size()) - 1));
    }

    private static String figure(List<Double> values, String format) {
        if (values.isEmpty()) {
            return "–";
        }
        double min = values.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        double max = values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        return String.format(Locale.ROOT, format + " [" + format + "–" + format + "]", median(values), min, max);
    }

    private static String ms(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }
}
