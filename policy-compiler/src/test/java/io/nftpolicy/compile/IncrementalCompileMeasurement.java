package io.nftpolicy.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.tier.TierCompileMeasurement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Opt-in measurement, not a test (surefire's default includes do not match its name): the incremental compile after
 * one change, side by side with a full compile, on the generated 10,000-pod / 2,000-policy cluster for node-0.
 * Each round alternates between the snapshot before and after the change, so every timed compile follows exactly
 * one change; rounds of the different figures are interleaved. Run:
 * <pre>
 * mvn -B -q -pl policy-compiler test -Dtest=IncrementalCompileMeasurement -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class IncrementalCompileMeasurement {
    private static final int ROUNDS = Integer.getInteger("rounds", 200);
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

    /** Wall-clock and this thread's CPU time of each timed run. */
    private record Times(long[] wall, long[] cpu) {
        Times(int n) {
            this(new long[n], new long[n]);
        }

        void time(int i, Runnable run) {
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            long start = System.nanoTime();
            run.run();
            long wallNanos = System.nanoTime() - start;
            long cpuNanos = THREADS.getCurrentThreadCpuTime() - cpu0;
            if (i >= 0 && i < wall.length) {
                wall[i] = wallNanos;
                cpu[i] = cpuNanos;
            }
        }
    }
    private static final String NODE = ClusterGenerator.nodeName(0);

    @Test
    void measure() {
        ClusterSnapshot base = ClusterGenerator.generate(new ClusterGenerator.Size(200, 50, 20, 10, 1));
        long local = base.pods().stream().filter(p -> p.nodeName().equals(NODE)).count();
        System.out.printf(Locale.ROOT, "cluster: %d pods, %d policies, %d namespaces; node %s with %d local pods%n",
                base.pods().size(), base.policies().size(), base.namespaces().size(), NODE, local);

        Map<String, ClusterSnapshot> changed = new LinkedHashMap<>();
        changed.put("one pod label change (pod on another node, peer of policies)", relabel(base, "ns-7", "pod-3"));
        changed.put("one pod label change (local pod, changes its group)", relabelLocal(base));
        changed.put("one pod added (another node)", addPod(base));
        changed.put("one policy created", addPolicy(base));

        Map<String, Times> nanos = new LinkedHashMap<>();
        // Side by side with the first: the same change with 100 ClusterNetworkPolicies (the tier measurement's).
        ClusterSnapshot tiered = base.withTiers(TierCompileMeasurement.policies(100), List.of());
        String tierPrefix = "with 100 ClusterNetworkPolicies: ";
        changed.put(tierPrefix + "one pod label change (pod on another node, peer of policies)",
                relabel(tiered, "ns-7", "pod-3"));
        changed.put(tierPrefix + "one pod label change (local pod, changes its group)", relabelLocal(tiered));
        changed.put(tierPrefix + "one policy created", addPolicy(tiered));
        Map<String, ClusterSnapshot> from = new HashMap<>();
        changed.keySet().forEach(name -> from.put(name, name.startsWith(tierPrefix) ? tiered : base));

        Map<String, IncrementalCompiler> compilers = new HashMap<>();
        for (String name : changed.keySet()) {
            nanos.put(name, new Times(ROUNDS));
            IncrementalCompiler c = new IncrementalCompiler(NODE);
            c.compile(from.get(name));
            compilers.put(name, c);
        }
        Times full = new Times(ROUNDS / 2);
        Times fullTiered = new Times(ROUNDS / 2);
        Times first = new Times(Math.max(3, ROUNDS / 20));
        PolicyCompiler reference = new PolicyCompiler();
        int warmUp = 50;
        for (int round = -warmUp; round < ROUNDS; round++) {
            boolean forward = (round & 1) == 0;
            for (var e : changed.entrySet()) {
                IncrementalCompiler compiler = compilers.get(e.getKey());
                ClusterSnapshot next = forward ? e.getValue() : from.get(e.getKey());
                nanos.get(e.getKey()).time(round, () -> compiler.compile(next));
            }
            if (round % 2 == 0) {
                full.time(round / 2, () -> reference.compile(base, NODE));
                fullTiered.time(round / 2, () -> reference.compile(tiered, NODE));
            }
            if (round >= 0 && round < first.cpu().length) {
                first.time(round, () -> new IncrementalCompiler(NODE).compile(base));
            }
        }
        System.out.printf(Locale.ROOT, "%d rounds after %d warm-up rounds; each incremental compile follows one change "
                + "(alternately applied and undone)%n", ROUNDS, warmUp);
        row("full compile (PolicyCompiler)", full);
        row(tierPrefix + "full compile (PolicyCompiler)", fullTiered);
        row("first compile of an IncrementalCompiler (from nothing)", first);
        double fullMedian = median(full.wall());
        nanos.forEach((name, n) -> {
            row("incremental: " + name, n);
            System.out.printf(Locale.ROOT, "      ratio to full compile (wall medians) %.3f%n", median(n.wall()) / fullMedian);
        });
        Times none = new Times(ROUNDS);
        IncrementalCompiler c = compilers.values().iterator().next();
        c.compile(base);
        for (int i = 0; i < ROUNDS; i++) {
            none.time(i, () -> c.compile(base));
        }
        row("incremental: nothing changed (same snapshot again)", none);
        Times copies = new Times(ROUNDS / 4);
        for (int i = -5; i < ROUNDS / 4; i++) {
            ClusterSnapshot copy = copy(base);
            copies.time(i, () -> c.compile(copy));
        }
        row("incremental: nothing changed, every object a new equal instance", copies);
    }

    private static ClusterSnapshot copy(ClusterSnapshot s) {
        List<Pod> pods = new ArrayList<>(s.pods().size());
        for (Pod p : s.pods()) {
            pods.add(new Pod(p.namespace(), p.name(), p.labels(), p.nodeName(), p.hostNetwork(), p.phase(),
                    p.terminating(), p.ips(), p.ports()));
        }
        List<NetworkPolicy> policies = new ArrayList<>(s.policies().size());
        for (NetworkPolicy p : s.policies()) {
            policies.add(new NetworkPolicy(p.namespace(), p.name(), p.podSelector(), p.policyTypes(), p.ingress(),
                    p.egress()));
        }
        return new ClusterSnapshot(s.namespaces(), pods, policies);
    }

    private static ClusterSnapshot relabel(ClusterSnapshot s, String ns, String name) {
        return replacePod(s, p -> p.namespace().equals(ns) && p.name().equals(name) && !p.nodeName().equals(NODE));
    }

    private static ClusterSnapshot relabelLocal(ClusterSnapshot s) {
        return replacePod(s, p -> p.nodeName().equals(NODE) && p.namespace().equals("ns-11"));
    }

    private static ClusterSnapshot replacePod(ClusterSnapshot s, java.util.function.Predicate<Pod> which) {
        List<Pod> pods = new ArrayList<>(s.pods());
        for (int i = 0; i < pods.size(); i++) {
            Pod p = pods.get(i);
            if (which.test(p)) {
                Map<String, String> labels = new HashMap<>(p.labels());
                labels.put("app", labels.get("app").equals("app-1") ? "app-2" : "app-1");
                labels.put("tier", "frontend");
                pods.set(i, new Pod(p.namespace(), p.name(), labels, p.nodeName(), false, p.phase(), false, p.ips(),
                        p.ports()));
                return new ClusterSnapshot(s.namespaces(), pods, s.policies()).withTiers(s.clusterPolicies(), s.nodes());
            }
        }
        throw new IllegalStateException("no such pod");
    }

    private static ClusterSnapshot addPod(ClusterSnapshot s) {
        Pod model = s.pods().stream().filter(p -> !p.nodeName().equals(NODE)).skip(1234).findFirst().orElseThrow();
        List<Pod> pods = new ArrayList<>(s.pods());
        pods.add(new Pod(model.namespace(), "measure-added", model.labels(), model.nodeName(), false, model.phase(),
                false, List.of("10.127.255.250"), model.ports()));
        return new ClusterSnapshot(s.namespaces(), pods, s.policies()).withTiers(s.clusterPolicies(), s.nodes());
    }

    private static ClusterSnapshot addPolicy(ClusterSnapshot s) {
        List<NetworkPolicy> policies = new ArrayList<>(s.policies());
        policies.add(new NetworkPolicy("ns-11", "measure-added", LabelSelector.matchLabels(Map.of("app", "app-3")),
                List.of("Ingress"), List.of(new PolicyRule(List.of(PolicyPeer.podsInNamespaces(
                        LabelSelector.matchLabels(Map.of("tier", "backend")),
                        LabelSelector.matchLabels(Map.of("team", "team-2")))), List.of(PolicyPort.tcp(7000)))), List.of()));
        return new ClusterSnapshot(s.namespaces(), s.pods(), policies).withTiers(s.clusterPolicies(), s.nodes());
    }

    private static void row(String name, Times t) {
        System.out.printf(Locale.ROOT, "  %-70s wall median %7.3f ms  p90 %7.3f ms;  CPU median %7.3f ms%n", name,
                median(t.wall()) / 1e6, percentile(t.wall(), 90) / 1e6, median(t.cpu()) / 1e6);
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
