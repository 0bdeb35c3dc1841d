package io.nftpolicy.bench.dataplane;

import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The rounds of one cluster size and what they say.
 *
 * @param compiled        the server node's compiled ruleset
 * @param tiered          the server node's ruleset of (b+), with the ClusterNetworkPolicies; null without
 * @param counted         the server node's compiled ruleset with counters ({@code --counters}), or null
 * @param linear          the server node's linear ruleset
 * @param linearWalked    forward-chain lines of (c) a first packet to the server walks on its node
 * @param linearOtherNode forward-chain lines of (c) on the other node, all walked by a packet to a remote pod
 * @param rates           connections per second, per layout and placement, one per round (round 0 included)
 * @param failures        failed connections over all measured rounds (should be 0)
 */
record SizeResult(Options.Cluster cluster, ClusterGenerator.Size size, ProbePlan plan, Ruleset compiled,
                  Ruleset tiered, Ruleset counted, Ruleset linear, int linearWalked, int linearOtherNode,
                  Map<Layout, Map<ProbePlan.Placement, List<Double>>> rates, int failures) {

    /** A median and the spread around it, over the measured rounds. */
    record Figure(double median, double min, double max) {
        static Figure of(List<Double> values) {
            List<Double> sorted = new ArrayList<>(values);
            sorted.sort(null);
            int n = sorted.size();
            double median = n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
            return new Figure(median, sorted.get(0), sorted.get(n - 1));
        }
    }

    /** The layouts measured, in the order reported. */
    List<Layout> layouts() {
        return java.util.Arrays.stream(Layout.values()).filter(rates::containsKey).toList();
    }

    boolean measured(ProbePlan.Placement placement) {
        return rates.get(Layout.STATEFUL).containsKey(placement);
    }

    /** Connections per second over the measured rounds (the warm-up round left out). */
    Figure rate(Layout layout, ProbePlan.Placement placement) {
        List<Double> all = rates.get(layout).get(placement);
        return Figure.of(all.subList(1, all.size()));
    }

    /**
     * {@code layout}'s rate over {@code reference}'s, taken round by round (the two were measured seconds apart,
     * so slow drifts of the machine's load cancel) and summarised over the measured rounds.
     */
    Figure ratio(Layout layout, Layout reference, ProbePlan.Placement placement) {
        List<Double> of = rates.get(layout).get(placement);
        List<Double> to = rates.get(reference).get(placement);
        List<Double> ratios = new ArrayList<>();
        for (int round = 1; round < of.size(); round++) {
            ratios.add(of.get(round) / to.get(round));
        }
        return Figure.of(ratios);
    }
}
