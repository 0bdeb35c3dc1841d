package io.nftpolicy.agent.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.nftpolicy.agent.sync.SyncObserver;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.Drift;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.stats.Count;
import io.nftpolicy.stats.CounterReadings;
import io.nftpolicy.stats.PolicyCounters;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's policy counters as Prometheus metrics, per policy:
 * {@code nftpolicy_policy_packets_total} and {@code nftpolicy_policy_bytes_total}, labels {@code namespace},
 * {@code policy}, {@code direction} and {@code verdict}. An accept series sums the counters of every rule of the
 * policy in that direction; a drop series sums the drops of every pod the policy isolates in that direction. A staged
 * policy has {@code would-accept} and {@code would-drop} series instead, summed the same way. No label names a pod, a
 * rule or a peer, so there are at most four series per policy, whatever the number of pods.
 *
 * <p>Read through the backend ({@link NftExecutor#readCounters()}) after each drift check, so at the drift interval
 * (10 s by default), and attributed with the ruleset last applied. Series of policies gone from the ruleset are
 * removed.
 */
public final class PolicyCounterMetrics implements SyncObserver {
    private static final Logger LOG = LoggerFactory.getLogger(PolicyCounterMetrics.class);

    /** One series: a policy, a direction, a verdict. */
    record Series(String namespace, String policy, String direction, String verdict) {}

    private final MeterRegistry registry;
    private final NftExecutor reader;
    private final Map<Series, Count> values = new ConcurrentHashMap<>();
    private final Map<Series, List<Meter>> meters = new HashMap<>();
    private volatile Ruleset applied;

    public PolicyCounterMetrics(MeterRegistry registry, NftExecutor reader) {
        this.registry = registry;
        this.reader = reader;
    }

    @Override
    public void synced(SyncReport report) {
        if (report.succeeded()) {
            report.ruleset().ifPresent(r -> applied = r);
        }
    }

    @Override
    public void driftChecked(Drift drift, long durationNanos) {
        refresh();
    }

    /** Reads the counters and updates the series; a failed read keeps the last figures. */
    public synchronized void refresh() {
        Ruleset ruleset = applied;
        if (ruleset == null) {
            return;
        }
        Optional<CounterReadings> readings;
        try {
            readings = reader.readCounters();
        } catch (ApplyException e) {
            LOG.warn("cannot read the policy counters: {}", e.getMessage());
            return;
        }
        readings.ifPresent(r -> update(series(PolicyCounters.attribute(ruleset, r))));
    }

    /** The figures per series of one report. */
    static Map<Series, Count> series(PolicyCounters.Report report) {
        Map<Series, Count> out = new HashMap<>();
        report.accepts().forEach(a -> out.merge(series(a.policy(), a.direction(), "accept"),
                new Count(a.packets(), a.bytes()), Count::plus));
        report.drops().forEach(d -> d.isolatedBy().forEach(p -> out.merge(series(p, d.direction(), "drop"),
                new Count(d.packets(), d.bytes()), Count::plus)));
        // Staged policies: the same bound, the verdicts they would give (docs/audit.md, "Staged policies").
        report.wouldAccept().forEach(a -> out.merge(series(a.policy(), a.direction(), "would-accept"),
                new Count(a.packets(), a.bytes()), Count::plus));
        report.wouldDrop().forEach(d -> out.merge(series(d.policy(), d.direction(), "would-drop"),
                new Count(d.packets(), d.bytes()), Count::plus));
        return out;
    }

    private static Series series(String ref, PolicyType direction, String verdict) {
        int slash = ref.indexOf('/');
        return new Series(ref.substring(0, slash), ref.substring(slash + 1), direction.field(), verdict);
    }

    private void update(Map<Series, Count> next) {
        for (Series gone : new ArrayList<>(meters.keySet())) {
            if (!next.containsKey(gone)) {
                meters.remove(gone).forEach(registry::remove);
                values.remove(gone);
            }
        }
        values.putAll(next);
        next.keySet().forEach(s -> meters.computeIfAbsent(s, this::register));
    }

    private List<Meter> register(Series s) {
        return List.of(counter("nftpolicy.policy.packets", s, c -> c.packets(),
                        "First packets of connections a policy's rules accepted, or packets dropped for pods it isolates"),
                counter("nftpolicy.policy.bytes", s, c -> c.bytes(), "Bytes of the packets counted as packets"));
    }

    private Meter counter(String name, Series s, java.util.function.ToLongFunction<Count> figure, String description) {
        return FunctionCounter.builder(name, values, v -> figure.applyAsLong(v.getOrDefault(s, Count.ZERO)))
                .description(description)
                .tags("namespace", s.namespace(), "policy", s.policy(), "direction", s.direction(), "verdict",
                        s.verdict())
                .register(registry);
    }
}
