package io.nftpolicy.agent;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.nftpolicy.agent.sync.SyncLoop;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.agent.sync.Trigger;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.snapshot.SnapshotWriter;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Event-to-kernel latency of the agent through the mock API server and the real kernel (a network namespace), on
 * a generated cluster, and the heap the agent takes. Not part of the default suite (minutes at 10,000 pods); run:
 *
 * <pre>
 * mvn -B -pl operator -am test -Dtest=AgentLatencyMeasurement -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dnftpolicy.measure=true [-Dnftpolicy.measure.namespaces=200] [-Dnftpolicy.measure.samples=50]
 *     [-Dnftpolicy.measure.driftSeconds=10]
 * </pre>
 *
 * Sizes: {@code namespaces} × 50 pods on 20 nodes, 10 policies per namespace ({@link ClusterGenerator}: the README's
 * compile figure uses 200 namespaces). The agent runs for node-0 with the default timing (20 ms coalescing, drift
 * check every 10 s; as {@code nftpolicy run}, the drift reader's whole-table listings in a child nft process). Each
 * sample is timed from just before the API request to the return of the libnftables call that committed the
 * transaction carrying the change (found by its content); samples are 150 ms apart. Each is also split into phases
 * (informer delivery, queued, snapshot, compile, diff, commit), and every sample over
 * {@code -Dnftpolicy.measure.slowMillis} (80) is listed with the drift thread's kernel reads and the garbage
 * collections that overlapped it.
 */
@EnabledIfSystemProperty(named = "nftpolicy.measure", matches = "true")
@KernelTest
class AgentLatencyMeasurement {
    private static final String NODE = ClusterGenerator.nodeName(0);
    /** Snapshot and compile durations of the measured syncs, by change (filled by sample). */
    private static List<Map<String, List<Long>>> breakdown;

    @Test
    void measure() throws Exception {
        int namespaces = Integer.getInteger("nftpolicy.measure.namespaces", 20);
        int samples = Integer.getInteger("nftpolicy.measure.samples", 50);
        ClusterGenerator.Size size = new ClusterGenerator.Size(namespaces, 50, 20, 10, 1L);
        ClusterSnapshot generated = ClusterGenerator.generate(size);
        System.out.printf(Locale.ROOT, "cluster: %d namespaces, %d pods, %d policies, %d nodes; agent for %s%n",
                namespaces, size.pods(), size.policies(), size.nodes(), NODE);

        try (NetworkNamespace netns = NetworkNamespace.create("nftt-measure"); MockCluster cluster = new MockCluster()) {
            long loadStart = System.nanoTime();
            cluster.load(generated);
            System.out.printf(Locale.ROOT, "loaded into the mock API server in %.1f s; load average %s%n",
                    (System.nanoTime() - loadStart) / 1e9, loadAverage());
            long heapBefore = heapAfterGc();

            try (LibnftablesExecutor libnftables = LibnftablesExecutor.openInNamespace(netns.name());
                 LibnftablesExecutor driftKernel = LibnftablesExecutor.openInNamespace(netns.name())) {
                RecordingExecutor kernel = new RecordingExecutor(libnftables);
                // As nftpolicy run: the whole-table listings through a child nft process.
                driftKernel.listingTablesThrough(io.nftpolicy.backend.kernel.NftProcess.find(netns.name())
                        .orElseThrow());
                TimedReader driftReader = new TimedReader(driftKernel);
                // As nftpolicy run: drift checks on their own thread, through a second libnftables context.
                AgentHarness harness = AgentHarness.create(cluster, kernel, driftReader,
                        AgentHarness.config(NODE).withLoop(SyncLoop.Options.defaults().withDriftInterval(
                                Duration.ofSeconds(Integer.getInteger("nftpolicy.measure.driftSeconds", 10)))));
                try {
                    long start = System.nanoTime();
                    harness.agent.start();
                    await().atMost(Duration.ofMinutes(5)).until(() -> !harness.reports().isEmpty());
                    SyncReport startup = harness.reports().get(0);
                    Ruleset ruleset = startup.ruleset().orElseThrow();
                    System.out.printf(Locale.ROOT, "start to first sync: %.2f s (startup sync %.0f ms: %s)%n",
                            (System.nanoTime() - start) / 1e9, startup.durationNanos() / 1e6,
                            startup.result().orElseThrow());
                    System.out.printf(Locale.ROOT, "node ruleset: %d local pods, %d chains, %d rules, %d sets, "
                                    + "%d elements%n", startup.localPods(), ruleset.chains().size(),
                            ruleset.ruleCount(), ruleset.sets().size() + ruleset.maps().size(),
                            ruleset.elementCount());
                    Thread.sleep(500);
                    long heapAfter = heapAfterGc();
                    System.out.printf(Locale.ROOT, "heap after GC: %.1f MB before the agent (mock server and its "
                                    + "objects, test), %.1f MB with it: the agent holds %.1f MB%n",
                            heapBefore / 1e6, heapAfter / 1e6, (heapAfter - heapBefore) / 1e6);
                    System.out.printf(Locale.ROOT, "informer stores: %s%n", harness.agent.cache().informerStoreSizes());

                    try (GcPauses gc = new GcPauses()) {
                        List<Sample> taken = measureAll(cluster, generated, harness, kernel, samples);
                        explain(taken, driftReader.calls(), gc.pauses());
                    }
                } finally {
                    harness.close();
                }
            }
        }
    }

    /**
     * Where one sample's time went, in {@link System#nanoTime()}'s time: the API request, the change's arrival in
     * the agent (its informer handler), the sync's start, its snapshot and compile, the libnftables call that
     * committed the change.
     */
    record Sample(String what, int index, long requestNanos, long arrivalNanos, long syncStartNanos,
                  long snapshotNanos, long compileNanos, long runStartNanos, long committedNanos) {
        long endToEnd() {
            return committedNanos - requestNanos;
        }

        long informer() {
            return arrivalNanos - requestNanos;
        }

        long queued() {
            return syncStartNanos - arrivalNanos;
        }

        /** From the compile's end to the commit call: diff, transaction, table lock. */
        long diff() {
            return runStartNanos - (syncStartNanos + snapshotNanos + compileNanos);
        }

        long commit() {
            return committedNanos - runStartNanos;
        }
    }

    private static List<Sample> measureAll(MockCluster cluster, ClusterSnapshot generated, AgentHarness harness,
                                           RecordingExecutor kernel, int samples) throws Exception {
        List<Sample> taken = new ArrayList<>();
        Random random = new Random(7);
        List<io.nftpolicy.cluster.Pod> local = generated.pods().stream().filter(p -> p.nodeName().equals(NODE))
                .sorted(Comparator.comparing(io.nftpolicy.cluster.Pod::ref)).toList();
        Map<String, String> apps = new HashMap<>(); // each local pod's app label as it is now
        local.forEach(p -> apps.put(p.ref(), p.labels().get("app")));
        Map<String, List<Long>> endToEnd = new HashMap<>();
        Map<String, List<Long>> agentSide = new HashMap<>();
        Map<String, List<Long>> syncNanos = new HashMap<>();
        Map<String, List<Long>> operations = new HashMap<>();
        Map<String, List<Long>> applyNanos = new HashMap<>();
        Map<String, List<Long>> snapshotNanos = new HashMap<>();
        Map<String, List<Long>> compileNanos = new HashMap<>();
        breakdown = List.of(snapshotNanos, compileNanos);
        for (int i = 0; i < samples; i++) {
            index = i;
            sampled = taken;
            // A new pod on this node, labelled as an existing one (so the same policies select it, and it joins
            // the same peer sets).
            io.nftpolicy.cluster.Pod model = local.get(random.nextInt(local.size()));
            String ip = "10.200." + (i / 250) + "." + (2 + i % 250);
            io.nftpolicy.cluster.Pod added = new io.nftpolicy.cluster.Pod(model.namespace(), "measure-" + i,
                    model.labels(), NODE, false, io.nftpolicy.cluster.PodPhase.RUNNING, false, List.of(ip),
                    model.ports());
            Pod object = SnapshotWriter.pod(added);
            sample("pod add", harness, kernel, mentions(ip),
                    () -> cluster.client().pods().inNamespace(added.namespace()).resource(object).create(),
                    endToEnd, agentSide, syncNanos, operations, applyNanos);

            // A label change that moves a pod: another app, so other policies select it and other peers name it.
            io.nftpolicy.cluster.Pod moved = local.get(i % local.size());
            String address = moved.ips().get(0);
            String newApp = "app-" + ((Integer.parseInt(apps.get(moved.ref()).substring(4)) + 1 + i % 9) % 10);
            apps.put(moved.ref(), newApp);
            sample("pod label change", harness, kernel, mentions(address),
                    () -> cluster.label(moved.namespace(), moved.name(), "app", newApp),
                    endToEnd, agentSide, syncNanos, operations, applyNanos);

            // A new policy selecting a local pod's app, allowing a new peer.
            io.nftpolicy.cluster.Pod subject = local.get(random.nextInt(local.size()));
            String name = "measure-" + i;
            String ref = subject.namespace() + "/" + name + " ";
            var policy = MockCluster.policyObject(subject.namespace(), name,
                    Map.of("app", apps.get(subject.ref())), Map.of("measure", "peer-" + i));
            sample("policy create", harness, kernel, s -> s.contains(ref),
                    () -> cluster.create(policy), endToEnd, agentSide, syncNanos, operations, applyNanos);
        }
        System.out.println();
        System.out.printf(Locale.ROOT, "%-17s %8s %8s %8s %8s | %-26s | %-12s | %s%n", "change (n=" + samples + ")",
                "p50 ms", "p90 ms", "p99 ms", "max ms", "agent-side p50/p99 ms", "sync p50 ms", "apply p50 ms, ops p50");
        for (String what : List.of("pod add", "pod label change", "policy create")) {
            List<Long> e = endToEnd.get(what);
            List<Long> a = agentSide.get(what);
            System.out.printf(Locale.ROOT, "%-17s %8.1f %8.1f %8.1f %8.1f | %11.1f / %-12.1f | %-12.1f | %.1f, %d%n",
                    what, ms(pct(e, 50)), ms(pct(e, 90)), ms(pct(e, 99)), ms(pct(e, 100)), ms(pct(a, 50)),
                    ms(pct(a, 99)), ms(pct(syncNanos.get(what), 50)), ms(pct(applyNanos.get(what), 50)),
                    pct(operations.get(what), 50));
        }
        System.out.printf(Locale.ROOT, "%n%-17s %-22s %-22s %-22s%n", "sync of a change", "snapshot p50/p99 ms",
                "compile p50/p99 ms", "apply p50/p99 ms");
        for (String what : List.of("pod add", "pod label change", "policy create")) {
            System.out.printf(Locale.ROOT, "%-17s %8.2f / %-11.2f %8.2f / %-11.2f %8.2f / %-11.2f%n", what,
                    ms(pct(snapshotNanos.get(what), 50)), ms(pct(snapshotNanos.get(what), 99)),
                    ms(pct(compileNanos.get(what), 50)), ms(pct(compileNanos.get(what), 99)),
                    ms(pct(applyNanos.get(what), 50)), ms(pct(applyNanos.get(what), 99)));
        }
        System.out.println("\nload average (1, 5, 15 min) after the samples: " + loadAverage()
                + " (2 cores: above 2, other work competed with the agent)");
        System.out.println("\nmetrics after the run:");
        harness.get("/metrics").body().lines().filter(l -> l.startsWith("nftpolicy_event_to_kernel_seconds_")
                || l.startsWith("nftpolicy_syncs_total") || l.startsWith("nftpolicy_set_elements")
                || l.startsWith("nftpolicy_sync_duration_seconds_sum") || l.startsWith("nftpolicy_sync_duration_seconds_count")
                || l.startsWith("nftpolicy_drift_check") || l.startsWith("nftpolicy_event_to_kernel_seconds_max"))
                .forEach(System.out::println);
        return taken;
    }

    private static int index;
    private static List<Sample> sampled;

    /**
     * Where the time of the samples went, by phase (p50, p99), and for each slow sample the drift thread's kernel
     * reads and the garbage collections that overlapped it: the drift reads share libnftables' one lock of the
     * process with the worker's commits.
     */
    private static void explain(List<Sample> samples, List<TimedReader.Call> driftCalls, List<GcPauses.Pause> gc) {
        System.out.printf(Locale.ROOT, "%nwhere the time went (p50 / p99 ms; informer: API request to the agent's "
                + "handler; queued: to the sync's start; diff: compile's end to the commit call)%n");
        System.out.printf(Locale.ROOT, "%-17s %-15s %-15s %-15s %-15s %-15s %-15s%n", "change", "informer", "queued",
                "snapshot", "compile", "diff", "commit");
        for (String what : List.of("pod add", "pod label change", "policy create")) {
            List<Sample> of = samples.stream().filter(s -> s.what().equals(what)).toList();
            System.out.printf(Locale.ROOT, "%-17s %s %s %s %s %s %s%n", what,
                    phase(of, Sample::informer), phase(of, Sample::queued), phase(of, Sample::snapshotNanos),
                    phase(of, Sample::compileNanos), phase(of, Sample::diff), phase(of, Sample::commit));
        }
        long stw = gc.stream().filter(GcPauses.Pause::stopsTheWorld).count();
        System.out.printf(Locale.ROOT, "%ngarbage collections during the samples: %d stopping the world (longest %.1f "
                        + "ms), %d concurrent; drift-thread kernel reads: %d (longest %.1f ms)%n", stw,
                gc.stream().filter(GcPauses.Pause::stopsTheWorld).mapToLong(p -> p.endNanos() - p.startNanos())
                        .max().orElse(0) / 1e6, gc.size() - stw, driftCalls.size(),
                driftCalls.stream().mapToLong(TimedReader.Call::nanos).max().orElse(0) / 1e6);
        long slow = Long.getLong("nftpolicy.measure.slowMillis", 80) * 1_000_000L;
        System.out.printf(Locale.ROOT, "samples over %d ms, and what overlapped them:%n", slow / 1_000_000);
        int withDrift = 0;
        int withGc = 0;
        int count = 0;
        for (Sample s : samples) {
            if (s.endToEnd() < slow) {
                continue;
            }
            count++;
            List<String> reads = new ArrayList<>();
            long readNanos = 0;
            for (TimedReader.Call c : driftCalls) {
                long o = c.overlap(s.arrivalNanos(), s.committedNanos());
                if (o > 0) {
                    readNanos += o;
                    if (c.nanos() > 2_000_000) {
                        reads.add(String.format(Locale.ROOT, "%s %.1f ms", c.what(), c.nanos() / 1e6));
                    }
                }
            }
            List<String> pauses = new ArrayList<>();
            long pauseNanos = 0;
            for (GcPauses.Pause p : gc) {
                long o = p.overlap(s.requestNanos(), s.committedNanos());
                if (o > 0 || p.startNanos() >= s.requestNanos() && p.startNanos() <= s.committedNanos()) {
                    pauseNanos += p.stopsTheWorld() ? o : 0;
                    pauses.add(String.format(Locale.ROOT, "%s (%s) %.0f ms", p.collector(), p.cause(),
                            (p.endNanos() - p.startNanos()) / 1e6));
                }
            }
            withDrift += readNanos > 5_000_000 ? 1 : 0;
            withGc += pauseNanos > 5_000_000 ? 1 : 0;
            System.out.printf(Locale.ROOT, "  #%d %-16s %6.1f ms: informer %.1f, queued %.1f, snapshot %.1f, compile "
                            + "%.1f, diff %.1f, commit %.1f | drift reads %.1f ms %s | gc %.1f ms %s%n", s.index(),
                    s.what(), s.endToEnd() / 1e6, s.informer() / 1e6, s.queued() / 1e6, s.snapshotNanos() / 1e6,
                    s.compileNanos() / 1e6, s.diff() / 1e6, s.commit() / 1e6, readNanos / 1e6, reads,
                    pauseNanos / 1e6, pauses);
        }
        System.out.printf(Locale.ROOT, "of %d slow samples: %d overlapped drift reads of over 5 ms, %d GC pauses of "
                + "over 5 ms%n", count, withDrift, withGc);
    }

    private static String phase(List<Sample> samples, java.util.function.ToLongFunction<Sample> f) {
        List<Long> values = samples.stream().map(s -> f.applyAsLong(s)).toList();
        return String.format(Locale.ROOT, "%6.1f / %-6.1f", ms(pct(values, 50)), ms(pct(values, 99)));
    }

    private static void sample(String what, AgentHarness harness, RecordingExecutor kernel, Predicate<String> carries,
                               Runnable change, Map<String, List<Long>> endToEnd, Map<String, List<Long>> agentSide,
                               Map<String, List<Long>> syncNanos, Map<String, List<Long>> operations,
                               Map<String, List<Long>> applyNanos)
            throws InterruptedException {
        int commits = kernel.commits().size();
        int reports = harness.reports().size();
        long start = System.nanoTime();
        change.run();
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2))
                    .until(() -> kernel.firstCommitSince(commits, carries).isPresent());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            System.out.println("no commit carried the " + what + "; commits since: ");
            kernel.commits().stream().skip(commits).forEach(c -> System.out.println(c.script()));
            harness.reports().stream().skip(reports).forEach(System.out::println);
            throw e;
        }
        RecordingExecutor.Commit carried = kernel.firstCommitSince(commits, carries).orElseThrow();
        long committed = carried.committedNanos();
        endToEnd.computeIfAbsent(what, k -> new ArrayList<>()).add(committed - start);
        await().atMost(Duration.ofSeconds(60)).until(() -> harness.reports().stream().skip(reports)
                .anyMatch(r -> r.trigger() == Trigger.EVENTS && r.result().map(x -> x.operations() > 0).orElse(false)));
        SyncReport sync = harness.reports().stream().skip(reports)
                .filter(r -> r.trigger() == Trigger.EVENTS && r.result().map(x -> x.operations() > 0).orElse(false))
                .findFirst().orElseThrow();
        sync.eventToKernelNanos().ifPresent(n -> agentSide.computeIfAbsent(what, k -> new ArrayList<>()).add(n));
        syncNanos.computeIfAbsent(what, k -> new ArrayList<>()).add(sync.durationNanos());
        operations.computeIfAbsent(what, k -> new ArrayList<>()).add((long) sync.result().orElseThrow().operations());
        applyNanos.computeIfAbsent(what, k -> new ArrayList<>()).add(sync.result().orElseThrow().durationNanos());
        breakdown.get(0).computeIfAbsent(what, k -> new ArrayList<>()).add(sync.snapshotNanos());
        breakdown.get(1).computeIfAbsent(what, k -> new ArrayList<>()).add(sync.compileNanos());
        if (sync.eventToKernelNanos().isPresent() && sync.queuedNanos().isPresent()) {
            long arrival = committed - sync.eventToKernelNanos().getAsLong();
            sampled.add(new Sample(what, index, start, arrival, arrival + sync.queuedNanos().getAsLong(),
                    sync.snapshotNanos(), sync.compileNanos(), carried.startedNanos(), committed));
        }
        Thread.sleep(150);
    }

    /** Whether a script names this address (not as the prefix of another). */
    private static Predicate<String> mentions(String address) {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(
                "(?<![0-9.])" + java.util.regex.Pattern.quote(address) + "(?![0-9])");
        return s -> p.matcher(s).find();
    }

    private static long pct(List<Long> values, int p) {
        if (values == null || values.isEmpty()) {
            return 0;
        }
        List<Long> sorted = values.stream().sorted().toList();
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static String loadAverage() {
        try {
            String[] fields = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        Runtime runtime = Runtime.getRuntime();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            Thread.sleep(200);
            used = Math.min(used, runtime.totalMemory() - runtime.freeMemory());
        }
        return used;
    }
}
