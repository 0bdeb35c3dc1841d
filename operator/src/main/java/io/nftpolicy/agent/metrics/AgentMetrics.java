package io.nftpolicy.agent.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.nftpolicy.agent.sync.SyncObserver;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.agent.sync.Trigger;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.Drift;
import io.nftpolicy.ruleset.Ruleset;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's Prometheus metrics, fed by the sync loop. Names as Prometheus shows them:
 * <ul>
 *   <li>{@code nftpolicy_syncs_total}, {@code nftpolicy_sync_failures_total} (label {@code trigger});</li>
 *   <li>{@code nftpolicy_event_to_kernel_seconds}: histogram, from a change's arrival to the kernel's commit of
 *       the transaction carrying it (percentiles: {@code histogram_quantile} in Prometheus; a Prometheus histogram
 *       cannot carry client-side quantiles as well);</li>
 *   <li>{@code nftpolicy_sync_duration_seconds}: histogram, snapshot to commit;</li>
 *   <li>{@code nftpolicy_transaction_operations}: distribution of operations per applied transaction (no-ops not
 *       counted);</li>
 *   <li>{@code nftpolicy_drift_repairs_total}, {@code nftpolicy_drift_checks_total},
 *       {@code nftpolicy_drift_check_duration_seconds} (histogram: the reading time of one whole cycle of
 *       read-back steps, on the drift thread);</li>
 *   <li>gauges {@code nftpolicy_set_elements}, {@code nftpolicy_chains}, {@code nftpolicy_rules},
 *       {@code nftpolicy_local_pods}, {@code nftpolicy_policies} of the applied ruleset, and
 *       {@code nftpolicy_invalid_policies};</li>
 *   <li>{@code nftpolicy_last_successful_sync_timestamp_seconds}: when the last successful sync finished (Unix
 *       time; 0 before the first), so that an alert can say "no successful sync for 10 minutes";</li>
 *   <li>{@code nftpolicy_build_info{version, java_version}}: 1;</li>
 *   <li>the JVM's and the process's: {@code jvm_memory_*}, {@code jvm_gc_*}, {@code jvm_threads_*},
 *       {@code jvm_classes_*}, {@code system_cpu_*}, {@code process_cpu_usage}, {@code process_uptime_seconds},
 *       {@code process_start_time_seconds}, {@code process_files_open_files} (Micrometer's binders).</li>
 * </ul>
 * Close it to unhook the GC listener from the JVM.
 */
public final class AgentMetrics implements SyncObserver, AutoCloseable {
    /** Buckets of the latency histograms, in seconds: 5 ms to 10 s. */
    static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    private final MeterRegistry registry;
    private final Timer eventToKernel;
    private final Timer syncDuration;
    private final DistributionSummary operations;
    private final Counter driftRepairs;
    private final Counter driftChecks;
    private final Timer driftCheckDuration;
    private final AtomicLong setElements = new AtomicLong();
    private final AtomicLong chains = new AtomicLong();
    private final AtomicLong rules = new AtomicLong();
    private final AtomicLong localPods = new AtomicLong();
    private final AtomicLong policies = new AtomicLong();
    private final AtomicLong invalidPolicies = new AtomicLong();
    private final AtomicLong lastSuccessMillis = new AtomicLong();
    private final JvmGcMetrics gc = new JvmGcMetrics();

    public AgentMetrics(MeterRegistry registry) {
        this(registry, BuildInfo.current());
    }

    AgentMetrics(MeterRegistry registry, BuildInfo build) {
        this.registry = registry;
        for (MeterBinder binder : List.of(new JvmMemoryMetrics(), gc, new JvmThreadMetrics(),
                new ClassLoaderMetrics(), new ProcessorMetrics(), new UptimeMetrics(), new FileDescriptorMetrics())) {
            binder.bindTo(registry);
        }
        Gauge.builder("nftpolicy.build.info", () -> 1)
                .description("The running agent's version and Java runtime; always 1")
                .tag("version", build.versionOrUnknown())
                .tag("java_version", build.javaVersion())
                .register(registry);
        Gauge.builder("nftpolicy.last.successful.sync.timestamp", lastSuccessMillis, millis -> millis.get() / 1000.0)
                .description("When the last successful sync of the node's ruleset finished, Unix time; 0: none yet")
                .baseUnit("seconds")
                .register(registry);
        eventToKernel = Timer.builder("nftpolicy.event.to.kernel")
                .description("From a change's arrival from the API server to the kernel's commit of the "
                        + "transaction that carries it")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        syncDuration = Timer.builder("nftpolicy.sync.duration")
                .description("One sync: snapshot of the cache, compilation for this node, apply")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        operations = DistributionSummary.builder("nftpolicy.transaction.operations")
                .description("Operations per applied change (one per element, rule, chain or set)")
                .serviceLevelObjectives(1, 10, 100, 1_000, 10_000, 100_000)
                .register(registry);
        driftRepairs = Counter.builder("nftpolicy.drift.repairs")
                .description("Syncs that repaired a kernel table found different from what was applied")
                .register(registry);
        driftChecks = Counter.builder("nftpolicy.drift.checks")
                .description("Periodic read-backs of the kernel's table")
                .register(registry);
        driftCheckDuration = Timer.builder("nftpolicy.drift.check.duration")
                .description("One read-back of the kernel's table and its comparison with the applied ruleset")
                .serviceLevelObjectives(LATENCY_BUCKETS)
                .register(registry);
        gauge("nftpolicy.set.elements", setElements, "Elements of all sets and maps of the applied ruleset");
        gauge("nftpolicy.chains", chains, "Chains of the applied ruleset");
        gauge("nftpolicy.rules", rules, "Rules of the applied ruleset");
        gauge("nftpolicy.local.pods", localPods, "This node's pods that take part in policy");
        gauge("nftpolicy.policies", policies, "NetworkPolicies of the cluster");
        gauge("nftpolicy.invalid.policies", invalidPolicies,
                "NetworkPolicies not enforced as written (their pods stay isolated)");
        for (Trigger t : Trigger.values()) {
            syncs(t);
            failures(t);
        }
    }

    private void gauge(String name, AtomicLong value, String description) {
        Gauge.builder(name, value, AtomicLong::get).description(description).register(registry);
    }

    private Counter syncs(Trigger trigger) {
        return Counter.builder("nftpolicy.syncs").description("Syncs of the node's ruleset, successful or not")
                .tag("trigger", trigger.name().toLowerCase()).register(registry);
    }

    private Counter failures(Trigger trigger) {
        return Counter.builder("nftpolicy.sync.failures").description("Syncs that failed (retried with back-off)")
                .tag("trigger", trigger.name().toLowerCase()).register(registry);
    }

    @Override
    public void synced(SyncReport report) {
        syncs(report.trigger()).increment();
        syncDuration.record(report.durationNanos(), TimeUnit.NANOSECONDS);
        if (!report.succeeded()) {
            failures(report.trigger()).increment();
            return;
        }
        lastSuccessMillis.set(report.finishedAt().toEpochMilli());
        report.eventToKernelNanos().ifPresent(n -> eventToKernel.record(n, TimeUnit.NANOSECONDS));
        ApplyResult result = report.result().orElseThrow();
        if (result.operations() > 0) {
            operations.record(result.operations());
        }
        if (report.trigger() == Trigger.DRIFT) {
            driftRepairs.increment();
        }
        Ruleset ruleset = report.ruleset().orElseThrow();
        setElements.set(ruleset.elementCount());
        chains.set(ruleset.chains().size());
        rules.set(ruleset.ruleCount());
        localPods.set(report.localPods());
        policies.set(report.policies());
        invalidPolicies.set(report.diagnostics().stream().filter(d -> d.kind().equals("NetworkPolicy"))
                .map(d -> d.object()).distinct().count());
    }

    @Override
    public void close() {
        gc.close();
    }

    @Override
    public void driftChecked(Drift drift, long durationNanos) {
        driftChecks.increment();
        driftCheckDuration.record(durationNanos, TimeUnit.NANOSECONDS);
    }
}
