package io.nftpolicy.apiserver;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.deploy.Repository;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.snapshot.SnapshotWriter;
import io.nftpolicy.testing.KernelTest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@code nftpolicy run} as a separate process against kube-apiserver, measured from outside (issue 9 point 3), on a
 * generated cluster ({@link ClusterGenerator}, seed 1, 10 policies per namespace) written through the API by
 * {@link ClusterWriter}. Opt-in (about 10 minutes at 10,000 pods on a loaded 2-core machine, 22 at 100,000 pods with
 * {@code -Dnftpolicy.measure.steps=1000 -Dnftpolicy.measure.podsPerNamespace=100 -DargLine=-Xmx10g}):
 *
 * <pre>
 * mvn -B -pl operator -am test -Dtest=AgentProcessApiServerMeasurement -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dnftpolicy.measure=true [-Dnftpolicy.measure.namespaces=200 | -Dnftpolicy.measure.steps=200,500,1000]
 *     [-Dnftpolicy.measure.podsPerNamespace=50] [-Dnftpolicy.measure.nodes=20] [-Dnftpolicy.measure.writers=32]
 *     [-Dnftpolicy.measure.jar=PATH] [-Dnftpolicy.measure.rate=100] [-Dnftpolicy.measure.churnSeconds=60]
 *     [-Dnftpolicy.measure.burst=1000] [-Dnftpolicy.measure.watchers=1,5,10] [-Dnftpolicy.measure.skipAgent=true]
 *     [-Dnftpolicy.measure.jvmOptions='-XX:+UseSerialGC -XX:MaxRAM=320m|-XX:+UseSerialGC ...']
 * </pre>
 *
 * jvmOptions: the agent's JVM options, space-separated; several sets separated by {@code |} measure one agent after
 * the other on the same cluster (default: one agent with the JVM's defaults). Its resident memory is printed at
 * ready, after the burst and after the churn, with Native Memory Tracking's totals when the options turn it on
 * ({@code -XX:NativeMemoryTracking=summary}), and once more after {@code jcmd System.trim_native_heap}: what glibc's
 * malloc kept of memory already freed. An empty watchers list ({@code -Dnftpolicy.measure.watchers=}) skips the
 * watchers.
 *
 * With steps, the cluster grows in one control plane: each step writes the namespaces it adds (with their pods and
 * policies), then measures everything below on the whole cluster so far. The nodes are written once, at the start.
 *
 * The jar defaults to this worktree's operator/target/nftpolicy.jar; another revision's jar measures that agent.
 * <ol>
 *   <li>The agent process starts for the node with the most pods, with the ServiceAccount token's kubeconfig, and
 *   programs a network namespace: time from the process's start to /readyz, heap after GC (jcmd GC.run, then its /metrics).</li>
 *   <li>CPU per event: /proc/PID/stat before and after a burst of label changes, less the idle rate.</li>
 *   <li>Event to kernel under a steady churn of label changes ({@link PodChurn}): probes create a twin of a pod (same
 *   namespace, labels and node, a fresh address) and delete it again; each sample runs from just before the API
 *   request that carries the change (the status write with the address; the delete) to the moment the address is
 *   (no longer) in the smallest set or map of the node's table that holds its model's address, read through
 *   libnftables in the namespace every millisecond.</li>
 *   <li>The API server's cost per watching agent: W watchers (separate clients, each with the agent's three
 *   cluster-wide informers), their list until every listed pod was handed to them, then the same churn:
 *   kube-apiserver's CPU (/proc), the bytes it sent on its connections ({@link ApiServerMetrics}), against the mean of
 *   W = 0 before and after, and the pod updates the watchers were handed.</li>
 * </ol>
 */
@EnabledIfSystemProperty(named = "nftpolicy.measure", matches = "true")
@ExtendWith(ControlPlane.Extension.class)
@KernelTest
class AgentProcessApiServerMeasurement {
    private static final int PROBE_MODELS = 40;

    private final int rate = Integer.getInteger("nftpolicy.measure.rate", 100);
    private final int churnSeconds = Integer.getInteger("nftpolicy.measure.churnSeconds", 60);
    private final int burst = Integer.getInteger("nftpolicy.measure.burst", 1000);

    @Test
    void measure() throws Exception {
        Path jar = Path.of(System.getProperty("nftpolicy.measure.jar",
                Repository.path("operator/target/nftpolicy.jar").toString()));
        String watchers = System.getProperty("nftpolicy.measure.watchers", "1,5,10");
        List<Integer> watcherCounts = watchers.isBlank() ? List.of() : integers(watchers);
        List<List<String>> jvmOptionSets = Arrays.stream(System.getProperty("nftpolicy.measure.jvmOptions", "")
                .split("\\|", -1)).map(String::strip)
                .map(set -> set.isEmpty() ? List.<String>of() : List.of(set.split("\\s+"))).toList();
        List<Integer> steps = integers(System.getProperty("nftpolicy.measure.steps",
                System.getProperty("nftpolicy.measure.namespaces", "200")));
        int nodes = Integer.getInteger("nftpolicy.measure.nodes", 20);
        int podsPerNamespace = Integer.getInteger("nftpolicy.measure.podsPerNamespace", 50);
        ClusterSnapshot largest = ClusterGenerator.generate(new ClusterGenerator.Size(
                steps.stream().max(Integer::compare).orElseThrow(), podsPerNamespace, nodes, 10, 1L));
        ControlPlane cluster = ControlPlane.get();
        Deployment.applyBase(cluster);
        print("machine: %d cores, load average %s; agent jar %s", Runtime.getRuntime().availableProcessors(),
                loadAverage(), jar);
        try (KubernetesClient admin = cluster.adminClient();
             ClusterWriter writer = new ClusterWriter(admin, Integer.getInteger("nftpolicy.measure.writers", 32))) {
            print("wrote %s with %d writers; %s", costOf(cluster, () -> writer.nodes(0, nodes)),
                    writer.writerCount(), ControlPlaneFootprint.read(cluster));
            Path kubeconfig = Deployment.agentKubeconfig(cluster, "agent-process");
            int written = 0;
            for (int step : steps) {
                // The generator's namespaces are a prefix of a larger run's (same nodes and seed): each step writes
                // only the namespaces it adds, with their pods and policies.
                ClusterSnapshot generated = firstNamespaces(largest, step);
                ClusterSnapshot added = namespacesFrom(generated, written);
                written = step;
                print("step: %d namespaces, %d pods, %d policies on %d nodes", step, generated.pods().size(),
                        generated.policies().size(), nodes);
                print("wrote %s", costOf(cluster, () -> writer.namespaces(added.namespaces())));
                print("wrote %s", costOf(cluster, () -> writer.pods(added.pods())));
                print("wrote %s; %s", costOf(cluster, () -> writer.policies(added)),
                        ControlPlaneFootprint.read(cluster));
                Exception agentFailure = null;
                for (List<String> jvmOptions : Boolean.getBoolean("nftpolicy.measure.skipAgent")
                        ? List.<List<String>>of() : jvmOptionSets) {
                    try (NetworkNamespace netns = NetworkNamespace.create("scale-agent");
                         LibnftablesExecutor reader = LibnftablesExecutor.openInNamespace(netns.name())) {
                        measureAgent(cluster, admin, generated, jar, jvmOptions, kubeconfig, netns,
                                new KernelElements(reader));
                    } catch (Exception e) {
                        // A cluster this size takes most of an hour to write: the watchers' figures are still worth
                        // taking on it; the failure is reported at the end.
                        print("agent phase failed: %s", e);
                        agentFailure = e;
                    }
                }
                if (!watcherCounts.isEmpty()) {
                    measureWatchers(cluster, admin, generated, kubeconfig, watcherCounts);
                }
                if (agentFailure != null) {
                    throw agentFailure;
                }
                print("end of step %d: %s; load average %s", step, ControlPlaneFootprint.read(cluster),
                        loadAverage());
            }
        }
    }

    private interface Write {
        ClusterWriter.Written run() throws InterruptedException;
    }

    /** A write, with the CPU kube-apiserver and etcd spent meanwhile (what a quiet machine's write rate follows). */
    private static String costOf(ControlPlane cluster, Write write) throws InterruptedException {
        long api = ProcessCpu.componentPid(cluster, "kube-apiserver");
        long etcd = ProcessCpu.componentPid(cluster, "etcd");
        double apiBefore = ProcessCpu.seconds(api);
        double etcdBefore = ProcessCpu.seconds(etcd);
        ClusterWriter.Written written = write.run();
        double apiCpu = ProcessCpu.seconds(api) - apiBefore;
        double etcdCpu = ProcessCpu.seconds(etcd) - etcdBefore;
        return String.format(Locale.ROOT, "%s; kube-apiserver %.1f CPU s (%.2f ms per request), etcd %.1f CPU s "
                        + "(%.2f ms per request)", written, apiCpu, apiCpu * 1000 / written.requests(), etcdCpu,
                etcdCpu * 1000 / written.requests());
    }

    private static List<Integer> integers(String commaSeparated) {
        return Arrays.stream(commaSeparated.split(",")).map(String::strip).map(Integer::valueOf).toList();
    }

    /** The generator's first {@code count} namespaces (ns-0 ...), with their pods and policies. */
    private static ClusterSnapshot firstNamespaces(ClusterSnapshot snapshot, int count) {
        return namespacesWhere(snapshot, index -> index < count);
    }

    /** The namespaces from ns-{@code first} on, with their pods and policies. */
    private static ClusterSnapshot namespacesFrom(ClusterSnapshot snapshot, int first) {
        return namespacesWhere(snapshot, index -> index >= first);
    }

    private static ClusterSnapshot namespacesWhere(ClusterSnapshot snapshot, java.util.function.IntPredicate index) {
        Set<String> names = new java.util.HashSet<>();
        for (int i = 0; i < snapshot.namespaces().size(); i++) {
            if (index.test(i)) {
                names.add(snapshot.namespaces().get(i).name());
            }
        }
        return new ClusterSnapshot(
                snapshot.namespaces().stream().filter(n -> names.contains(n.name())).toList(),
                snapshot.pods().stream().filter(p -> names.contains(p.namespace())).toList(),
                snapshot.policies().stream().filter(p -> names.contains(p.namespace())).toList());
    }

    private void measureAgent(ControlPlane cluster, KubernetesClient admin, ClusterSnapshot generated, Path jar,
                              List<String> jvmOptions, Path kubeconfig, NetworkNamespace netns,
                              KernelElements kernel) throws Exception {
        // The node with the most pods: at thousands of nodes many have none, and a node without pods has no policy
        // and so no pod address in its table to probe.
        String node = generated.pods().stream().collect(Collectors.groupingBy(io.nftpolicy.cluster.Pod::nodeName,
                Collectors.counting())).entrySet().stream().max(Map.Entry.<String, Long>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey())).orElseThrow().getKey();
        print("agent for %s, the node with the most pods (%d)", node, generated.pods().stream()
                .filter(p -> p.nodeName().equals(node)).count());
        long start = System.nanoTime();
        Path log = cluster.runDir().resolve("agent-process.log");
        print("agent JVM options: %s", jvmOptions.isEmpty() ? "(the JVM's defaults)" : String.join(" ", jvmOptions));
        try (AgentProcess agent = AgentProcess.start(jvmOptions, jar, kubeconfig, node, netns.name(), log)) {
            agent.awaitReady(Duration.ofMinutes(20));
            double readySeconds = seconds(start);
            double cpuAtReady = agent.cpuSeconds();
            printMemory("at ready", agent);
            print("agent process: ready (first sync in the kernel) %.1f s after its start, %.1f CPU s by then; "
                    + "heap after GC %.1f MB", readySeconds, cpuAtReady, agent.heapAfterGcBytes() / 1e6);

            Map<String, KernelElements.Location> holders = kernel.smallestHolders();
            List<io.nftpolicy.cluster.Pod> models = new ArrayList<>(generated.pods().stream()
                    .filter(p -> holders.containsKey(p.ips().get(0))).toList());
            Collections.shuffle(models, new Random(3));
            models = List.copyOf(models.subList(0, Math.min(PROBE_MODELS, models.size())));
            if (models.isEmpty()) {
                throw new AssertionError("no pod address is an element of its own in the agent's table");
            }
            Set<String> modelKeys = models.stream().map(p -> p.namespace() + "/" + p.name()).collect(Collectors.toSet());
            List<io.nftpolicy.cluster.Pod> churned = generated.pods().stream()
                    .filter(p -> !modelKeys.contains(p.namespace() + "/" + p.name())).toList();

            double idlePerSecond = idleCpuRate(agent);
            try (PodChurn churn = new PodChurn(admin, churned)) {
                double before = agent.cpuSeconds();
                long burstStart = System.nanoTime();
                churn.burst(burst);
                settle(agent, idlePerSecond);
                double elapsed = seconds(burstStart);
                double cpu = agent.cpuSeconds() - before - idlePerSecond * elapsed;
                print("CPU per event: burst of %d label changes (%d failed) in %.1f s incl. settling: %.2f CPU s "
                                + "beyond idle (%.3f CPU s/s idle) = %.2f ms per event", burst, churn.failed(), elapsed,
                        cpu, idlePerSecond, cpu * 1000 / burst);
            }
            printMemory("after the burst", agent);

            Probes probes = new Probes(admin, kernel, models, holders);
            double cpuBefore = agent.cpuSeconds();
            long churnStart = System.nanoTime();
            try (PodChurn churn = new PodChurn(admin, churned).start(rate)) {
                while (seconds(churnStart) < churnSeconds) {
                    probes.once();
                    Thread.sleep(50);
                }
                double elapsed = seconds(churnStart);
                print("churn: %d label changes in %.0f s (%.0f/s, %d failed) + %d probe pods created and deleted; "
                                + "agent CPU %.2f s/s", churn.written(), elapsed, churn.written() / elapsed,
                        churn.failed(), probes.count(), (agent.cpuSeconds() - cpuBefore) / elapsed);
            }
            print("event to kernel, pod add (status write with its address to the address in the table): %s",
                    Percentiles.of(probes.adds()));
            print("event to kernel, pod delete (delete request to the address gone from the table): %s",
                    Percentiles.of(probes.deletes()));
            print("event to kernel: %d of %d probes not seen in the table within %d s (left out above)",
                    probes.timeouts(), probes.count(), Probes.TIMEOUT.toSeconds());
            print("agent's own nftpolicy_event_to_kernel_seconds: %s", agent.metrics().lines()
                    .filter(l -> l.startsWith("nftpolicy_event_to_kernel_seconds")).toList());
            printMemory("after the churn", agent);
            print("agent memory: %s; after jcmd System.trim_native_heap: %s, %s", agent.resident(),
                    agent.jcmd("System.trim_native_heap").strip().replace('\n', ' '), agent.resident());
        } finally {
            // bin/cluster down removes the run directory with the log in it.
            java.nio.file.Files.copy(log, Repository.path("operator/target/agent-process-measurement.log"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Resident memory, and Native Memory Tracking's total and heap lines when it is on. */
    private static void printMemory(String when, AgentProcess agent) throws IOException, InterruptedException {
        String summary = agent.jcmd("VM.native_memory", "summary", "scale=MB");
        String tracked = summary.contains("Native Memory Tracking") ? summary.lines().map(String::strip)
                .filter(l -> l.startsWith("Total:") || l.startsWith("-") && l.contains("(reserved="))
                .map(l -> l.replaceFirst("^-\\s+", "").replaceAll("\\s+", " "))
                .collect(Collectors.joining("; ")) : "(Native Memory Tracking off)";
        print("agent memory %s: %s; load average %s; NMT: %s", when, agent.resident(), loadAverage(), tracked);
    }

    private double idleCpuRate(AgentProcess agent) throws InterruptedException {
        double before = agent.cpuSeconds();
        long start = System.nanoTime();
        Thread.sleep(10_000);
        return (agent.cpuSeconds() - before) / seconds(start);
    }

    /** Waits until the agent's CPU rate is back near idle for a whole second. */
    private static void settle(AgentProcess agent, double idlePerSecond) throws InterruptedException {
        Thread.sleep(2000);
        for (int i = 0; i < 60; i++) {
            double before = agent.cpuSeconds();
            Thread.sleep(1000);
            if (agent.cpuSeconds() - before <= idlePerSecond + 0.03) {
                return;
            }
        }
    }

    private void measureWatchers(ControlPlane cluster, KubernetesClient admin, ClusterSnapshot generated,
                                 Path kubeconfig, List<Integer> watcherCounts) throws Exception {
        // W = 0 first and last: the baseline is their mean, so that a drift in the machine's load over the minutes
        // of this phase does not pass for a cost of the watchers.
        List<Integer> counts = new ArrayList<>(List.of(0));
        counts.addAll(watcherCounts);
        counts.add(0);
        int events = rate * 20;
        List<WatcherRun> runs = new ArrayList<>();
        for (int w : counts) {
            WatcherRun run = watcherRun(cluster, admin, generated, kubeconfig, w, events);
            runs.add(run);
            print("watchers %2d: list %.1f s, kube-apiserver %.1f CPU s, %.1f MB of LIST responses; churn of %d "
                            + "label changes in %.1f s: kube-apiserver %.2f CPU s, %.1f MB sent to all its clients, "
                            + "%.1f MB on the watchers' own connections (%.0f bytes per watcher and event)", w,
                    run.listSeconds(), run.listed().cpuSeconds(), run.listed().listBytes() / 1e6, events,
                    run.churnSeconds(), run.churned().cpuSeconds(), run.churned().sentBytes() / 1e6,
                    run.sentToWatchers() / 1e6, w == 0 ? 0.0 : (double) run.sentToWatchers() / w / events);
        }
        List<WatcherRun> zeros = runs.stream().filter(r -> r.watchers() == 0).toList();
        ApiServerMetrics.Delta baseline = zeros.get(0).churned().mean(zeros.get(1).churned());
        for (WatcherRun run : runs.stream().filter(r -> r.watchers() > 0).toList()) {
            int w = run.watchers();
            ApiServerMetrics.Delta extra = run.churned().minus(baseline);
            double cpuPerEvent = extra.cpuSeconds() / events / w;
            double bytesPerEvent = extra.sentBytes() / events / w;
            double listBytes = run.listed().listBytes() / w;
            print("W=%d, per watcher and event beyond the W=0 mean: %.0f µs of kube-apiserver CPU, %.0f bytes sent; "
                            + "5,000 agents at %d events/s: %.1f cores, %.1f MB/s; each agent's list %.1f MB and %.2f "
                            + "CPU s (5,000 relisting: %.1f GB, %.0f CPU s)", w, cpuPerEvent * 1e6, bytesPerEvent, rate,
                    cpuPerEvent * 5000 * rate, bytesPerEvent * 5000 * rate / 1e6, listBytes / 1e6,
                    run.listed().cpuSeconds() / w, listBytes * 5000 / 1e9, run.listed().cpuSeconds() / w * 5000);
        }
    }

    /** One step of {@link #measureWatchers}: W watchers list, then {@code events} label changes reach them. */
    private record WatcherRun(int watchers, double listSeconds, ApiServerMetrics.Delta listed, double churnSeconds,
                              ApiServerMetrics.Delta churned, long sentToWatchers) {}

    private WatcherRun watcherRun(ControlPlane cluster, KubernetesClient admin, ClusterSnapshot generated,
                                  Path kubeconfig, int w, int events) throws Exception {
        List<KubernetesClient> clients = new ArrayList<>();
        List<SharedIndexInformer<?>> informers = new ArrayList<>();
        DeliveredUpdates delivered = new DeliveredUpdates();
        try {
            ApiServerMetrics beforeList = ApiServerMetrics.read(cluster);
            long listStart = System.nanoTime();
            for (int i = 0; i < w; i++) {
                KubernetesClient client = ControlPlane.clientFor(kubeconfig);
                clients.add(client);
                informers.add(client.namespaces().inform());
                informers.add(client.pods().inAnyNamespace().inform(delivered));
                informers.add(client.network().v1().networkPolicies().inAnyNamespace().inform());
            }
            // Synced is the list processed; the watch starts after it. At 100,000 pods the watch connections were
            // not yet open when synced, and their bytes went uncounted: wait for the watches too.
            while (!informers.stream().allMatch(i -> i.hasSynced() && i.isWatching())) {
                if (seconds(listStart) > 600) {
                    throw new IllegalStateException(w + " watchers not listed and watching after 10 minutes");
                }
                Thread.sleep(50);
            }
            double listSeconds = seconds(listStart);
            // The informers hand every listed pod to their handlers (onAdd) after they report synced; at 100,000 pods
            // that queue was still draining when the churn began, and the watchers were handed 2 % of its updates.
            while (delivered.added.get() < (long) w * generated.pods().size() && seconds(listStart) < 600) {
                Thread.sleep(50);
            }
            print("watchers %2d: listed in %.1f s, every listed pod handed to them %.1f s after the start", w,
                    listSeconds, seconds(listStart));
            ApiServerMetrics afterList = ApiServerMetrics.read(cluster);
            ApiServerMetrics.Delta listed = afterList.since(beforeList);
            // The writers and kubectl are idle while the watchers list: the connections opened meanwhile and still
            // open are the watchers'.
            ApiServerMetrics beforeChurn = ApiServerMetrics.read(cluster);
            long deliveredBefore = delivered.count.get();
            long churnStart = System.nanoTime();
            try (PodChurn churn = new PodChurn(admin, generated.pods()).start(rate)) {
                while (churn.written() + churn.failed() < events) {
                    Thread.sleep(20);
                }
            }
            double churnSeconds = seconds(churnStart);
            Thread.sleep(3000);
            ApiServerMetrics afterChurn = ApiServerMetrics.read(cluster);
            // The connections opened since the watchers started listing and still open (a connection opened during
            // the churn counts in full): the watchers', as the churn's writer reuses the admin client's.
            java.util.Set<String> watcherPeers = new java.util.HashSet<>(afterChurn.sentPerConnection().keySet());
            watcherPeers.removeAll(beforeList.sentPerConnection().keySet());
            print("watchers %2d: %d pod events delivered to them during the churn (%d label changes each would be "
                    + "%d), on %d connections of their own", w, delivered.count.get() - deliveredBefore, events,
                    (long) events * w, watcherPeers.size());
            return new WatcherRun(w, listSeconds, listed, churnSeconds, afterChurn.since(beforeChurn),
                    afterChurn.sentTo(watcherPeers, beforeChurn));
        } finally {
            informers.forEach(SharedIndexInformer::close);
            clients.forEach(KubernetesClient::close);
        }
    }

    /** Counts the pod updates the watchers' informers were handed: whether the churn reached them at all. */
    private static final class DeliveredUpdates implements io.fabric8.kubernetes.client.informers.ResourceEventHandler<Pod> {
        final java.util.concurrent.atomic.AtomicLong count = new java.util.concurrent.atomic.AtomicLong();
        final java.util.concurrent.atomic.AtomicLong added = new java.util.concurrent.atomic.AtomicLong();

        @Override
        public void onAdd(Pod pod) {
            added.incrementAndGet();
        }

        @Override
        public void onUpdate(Pod before, Pod after) {
            count.incrementAndGet();
        }

        @Override
        public void onDelete(Pod pod, boolean finalStateUnknown) {}
    }

    /** Twins of pods whose address the table holds, created and deleted one at a time while the churn runs. */
    private static final class Probes {
        /** A probe the table has not caught up with by then is counted as such, and the run goes on. */
        static final Duration TIMEOUT = Duration.ofSeconds(30);

        private final KubernetesClient admin;
        private final KernelElements kernel;
        private final List<io.nftpolicy.cluster.Pod> models;
        private final Map<String, KernelElements.Location> holders;
        private final List<Double> adds = new ArrayList<>();
        private final List<Double> deletes = new ArrayList<>();
        private int serial;
        private int timeouts;

        Probes(KubernetesClient admin, KernelElements kernel, List<io.nftpolicy.cluster.Pod> models,
               Map<String, KernelElements.Location> holders) {
            this.admin = admin;
            this.kernel = kernel;
            this.models = models;
            this.holders = holders;
        }

        void once() throws Exception {
            io.nftpolicy.cluster.Pod model = models.get(serial % models.size());
            int n = serial++;
            // 10.128.0.0/16: outside the generator's 10.64.0.0/10, so no generated pod's at any number of nodes.
            String address = "10.128." + (n / 250) % 250 + "." + (n % 250 + 1);
            KernelElements.Location where = holders.get(model.ips().get(0));
            Pod twin = SnapshotWriter.pod(new io.nftpolicy.cluster.Pod(model.namespace(), "twin-" + n,
                    model.labels(), model.nodeName(), false, model.phase(), false, List.of(address), model.ports()));
            var pods = admin.pods().inNamespace(model.namespace());
            Pod created = pods.resource(twin).create();
            created.setStatus(twin.getStatus());
            long sent = System.nanoTime();
            pods.resource(created).updateStatus();
            record(adds, where, address, true, sent);
            Thread.sleep(100);
            sent = System.nanoTime();
            pods.withName(created.getMetadata().getName()).withGracePeriod(0).delete();
            record(deletes, where, address, false, sent);
        }

        private void record(List<Double> samples, KernelElements.Location where, String address, boolean present,
                            long sent) throws Exception {
            try {
                samples.add((kernel.awaitPresence(where, address, present, TIMEOUT) - sent) / 1e6);
            } catch (AssertionError late) {
                timeouts++;
            }
        }

        int timeouts() {
            return timeouts;
        }

        int count() {
            return serial;
        }

        List<Double> adds() {
            return adds;
        }

        List<Double> deletes() {
            return deletes;
        }
    }

    /** p50, p90, p99 and max of milliseconds, nearest rank. */
    private record Percentiles(int n, double p50, double p90, double p99, double max) {
        static Percentiles of(List<Double> samples) {
            List<Double> sorted = samples.stream().sorted().toList();
            if (sorted.isEmpty()) {
                return new Percentiles(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
            }
            return new Percentiles(sorted.size(), rank(sorted, 0.50), rank(sorted, 0.90), rank(sorted, 0.99),
                    sorted.get(sorted.size() - 1));
        }

        private static double rank(List<Double> sorted, double q) {
            return sorted.get(Math.max(0, (int) Math.ceil(q * sorted.size()) - 1));
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "n=%d p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", n, p50, p90,
                    p99, max);
        }
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static String loadAverage() {
        try {
            return java.nio.file.Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static void print(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[scale %s] " + format + "%n", prepend(
                java.time.LocalTime.now(java.time.ZoneOffset.UTC).withNano(0), args));
    }
}
