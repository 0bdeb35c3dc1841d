package io.nftpolicy.bench.dataplane;

import java.util.List;
import java.util.Map;

/**
 * What one agent gave in one round of {@code bin/bench peer}.
 *
 * @param agent        its name
 * @param round        0-based
 * @param load         the load average (1, 5, 15 min) when the phase ended
 * @param startSeconds from starting its instances to both enforcing what the probes expect
 * @param rates        per placement: connections per second under (a), then under the agent, same slices
 * @param latencies    per event (pod add, label change, policy create, policy delete): milliseconds per sample
 * @param idle         the server node's instance with no API events
 * @param churn        the same under a steady churn of pod label changes
 * @param churnEvents  label changes written during the churn window
 */
record PeerPhase(String agent, int round, String load, double startSeconds, Map<ProbePlan.Placement, double[]> rates,
                 Map<String, List<Double>> latencies, Resources idle, Resources churn, int churnEvents) {

    /** CPU seconds per second over a window, resident memory at its end and the peak so far, in bytes. */
    record Resources(double cpuPerSecond, long rss, long peakRss) {}

    static final List<String> EVENTS = List.of("pod add", "label change", "policy create", "policy delete");

    /** The agent's rate over (a)'s in the same slices. */
    double ratio(ProbePlan.Placement placement) {
        double[] r = rates.get(placement);
        return r[1] / r[0];
    }
}
