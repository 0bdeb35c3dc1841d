package io.nftpolicy.bench.dataplane;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nftpolicy.apiserver.AgentProcess;
import io.nftpolicy.apiserver.ControlPlane;
import io.nftpolicy.apiserver.Deployment;
import io.nftpolicy.apiserver.ClusterWriter;
import io.nftpolicy.apiserver.PeerAgent;
import io.nftpolicy.apiserver.PodChurn;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.deploy.Repository;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.lab.ConnectionRate;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.snapshot.SnapshotWriter;
import io.nftpolicy.testing.KernelTest;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * nftpolicy and kube-network-policies side by side ({@code bin/bench peer}, docs/benchmarks.md): the data-plane
 * bench's 10,000-pod / 2,000-policy cluster written through kube-apiserver, its probed pods in a two-node lab, and
 * rounds in which each agent in turn (the order alternating) runs one instance per lab node, alone, and is
 * measured: new-connection rates of the probed pods on one node and across nodes against (a) in interleaved
 * slices; event-to-enforcement latency by probe (pod add, label change, policy create, policy delete); CPU and
 * memory of the server node's instance, idle and under a churn of label changes. Opt-in: root, Go (the control
 * plane and the peer are built on first use), iptables, and the agent's jar (operator/target/nftpolicy.jar).
 *
 * <p>System properties: {@code nftpolicy.peer=true} (required), {@code peer.rounds} (3), {@code peer.samples}
 * (latency samples per event and phase, 10), {@code peer.pods} and {@code peer.policies} (10000, 2000),
 * {@code peer.churnRate} (label changes per second, 50), {@code peer.churnSeconds} (30), {@code peer.out}
 * (benchmarks/target/peer), {@code peer.plots} (the SVG's directory, default peer.out), {@code peer.jvmOptions}
 * (nftpolicy's JVM options, space-separated; default the image's, {@link AgentProcess#IMAGE_JVM_OPTIONS}).
 */
@EnabledIfSystemProperty(named = "nftpolicy.peer", matches = "true")
@ExtendWith(ControlPlane.Extension.class)
@KernelTest
class PeerBenchmark {
    private static final String SERVER_NODE = ProbePlan.SERVER_NODE;
    private static final Duration ENFORCING_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration FLIP_TIMEOUT = Duration.ofSeconds(60);
    private static final int SLICES = 8;
    private static final Duration SLICE = Duration.ofMillis(500);
    private static final Duration IDLE = Duration.ofSeconds(15);

    private final int rounds = Integer.getInteger("peer.rounds", 3);
    private final int samples = Integer.getInteger("peer.samples", 10);
    private final int churnRate = Integer.getInteger("peer.churnRate", 50);
    private final int churnSeconds = Integer.getInteger("peer.churnSeconds", 30);
    private final Options.Cluster size = new Options.Cluster(Integer.getInteger("peer.pods", 10000),
            Integer.getInteger("peer.policies", 2000));
    private final Path out = Path.of(System.getProperty("peer.out", Repository.path("benchmarks/target/peer")
            .toString()));
    private final Path plots = Path.of(System.getProperty("peer.plots", out.toString()));
    private final List<String> jvmOptions = System.getProperty("peer.jvmOptions") == null
            ? AgentProcess.IMAGE_JVM_OPTIONS : List.of(System.getProperty("peer.jvmOptions").trim().split("\\s+"));
    private final ExecutorService probes = Executors.newSingleThreadExecutor();

    private ControlPlane cluster;
    private KubernetesClient admin;
    private Lab lab;
    private ProbePlan plan;
    private SpareProbe spare;
    private List<io.nftpolicy.cluster.Pod> churnable;

    @Test
    void sideBySide() throws Exception {
        Environment environment = Environment.capture();
        print("peer benchmark: %s", environment.summary());
        ClusterGenerator.Size generated = size.generatorSize(70, 1);
        ClusterSnapshot snapshot = ClusterGenerator.generate(generated);
        Map<String, Ruleset> compiled = new LinkedHashMap<>();
        for (String node : List.of(SERVER_NODE, ProbePlan.OTHER_NODE)) {
            compiled.put(node, new EstablishedFlows().apply(new PolicyCompiler().compile(snapshot, node).ruleset()));
        }
        plan = ProbePlan.choose(snapshot, compiled, LinearLayout.of(snapshot, SERVER_NODE));
        spare = SpareProbe.choose(snapshot, plan, compiled.get(SERVER_NODE));
        Set<String> probed = plan.probes().stream().map(p -> p.client().ref()).collect(Collectors.toSet());
        probed.add(plan.server().ref());
        churnable = snapshot.pods().stream().filter(p -> !probed.contains(p.ref())).toList();
        String described = describe(generated, compiled);
        print("%s", described);

        cluster = ControlPlane.get();
        Deployment.applyBase(cluster);
        PeerAgent.applyRbac(cluster);
        Path peerBinary = PeerAgent.binary();
        Path jar = Repository.path("operator/target/nftpolicy.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing: build it first (bin/bench peer does)");
        }
        List<PeerPhase> phases = new ArrayList<>();
        try (KubernetesClient client = cluster.adminClient();
             Lab started = Lab.start(labPods(), LabOptions.defaults().withProbeTimeout(Duration.ofMillis(300)))) {
            admin = client;
            lab = started;
            long writing = System.nanoTime();
            ClusterWriter.writeAll(admin, snapshot, generated.nodes());
            print("wrote %d pods and %d policies through the API in %.0f s; load %s", snapshot.pods().size(),
                    snapshot.policies().size(), seconds(writing), load());
            for (String node : lab.nodeNames()) {
                lab.apply(node, Layout.statefulTable() + PeerQueueSet.of(compiled.get(node)).script());
            }
            for (int round = 0; round < rounds; round++) {
                List<String> order = round % 2 == 0 ? List.of(PeerReport.NFTPOLICY, PeerReport.PEER)
                        : List.of(PeerReport.PEER, PeerReport.NFTPOLICY);
                for (String agent : order) {
                    PeerPhase phase = phase(agent, round, jar, peerBinary);
                    phases.add(phase);
                    // Written after every phase: a run cut short keeps what it measured.
                    write(environment.finished(), described, phases);
                    print("round %d %s: ratio to (a) %.3f same node, %.3f across; latency medians %s; CPU idle %.3f, "
                                    + "churn %.3f; RSS %.0f MB; load %s", round, agent,
                            phase.ratio(ProbePlan.Placement.SAME_NODE), phase.ratio(ProbePlan.Placement.CROSS_NODE),
                            medians(phase), phase.idle().cpuPerSecond(), phase.churn().cpuPerSecond(),
                            phase.churn().rss() / 1e6, phase.load());
                }
            }
        } finally {
            probes.shutdownNow();
        }
        System.out.println();
        System.out.print(write(environment.finished(), described, phases));
    }

    /** The report, the CSVs, the plot and the closing line from the phases so far; returns the report. */
    private String write(Environment environment, String described, List<PeerPhase> phases) throws Exception {
        String markdown = PeerReport.markdown("Environment: " + environment.summary() + "\n\n" + described, phases);
        Files.createDirectories(out);
        Files.createDirectories(plots);
        Files.writeString(out.resolve("peer.md"), markdown);
        Files.writeString(out.resolve("peer-rounds.csv"), PeerReport.roundsCsv(phases));
        Files.writeString(out.resolve("peer-latency.csv"), PeerReport.latencyCsv(phases));
        Files.writeString(out.resolve("peer.txt"), PeerReport.line(phases) + "\n");
        PeerReport.plot(phases).writeTo(plots.resolve(PeerReport.PLOT));
        return markdown;
    }

    private PeerPhase phase(String agent, int round, Path jar, Path peerBinary) throws Exception {
        long start = System.nanoTime();
        try (Contender contender = agent.equals(PeerReport.NFTPOLICY)
                ? new Contender.Nftpolicy(cluster, lab, jar, jvmOptions)
                : new Contender.Peer(cluster, lab, peerBinary)) {
            contender.enforce();
            awaitProbes(true);
            double startSeconds = seconds(start);
            // Paused, (a) alone lets every probe through: the switch between the two is what the rates compare.
            contender.pause();
            awaitProbes(false);
            contender.enforce();
            awaitProbes(true);

            PeerPhase.Resources idle = window(contender, IDLE, null);
            Map<ProbePlan.Placement, double[]> rates = rates(contender);
            Map<String, List<Double>> latencies = latencies(agent, round);
            int[] written = new int[1];
            long[] syncsBefore = contender instanceof Contender.Peer peer ? peer.syncs(SERVER_NODE) : null;
            PeerPhase.Resources churn = window(contender, Duration.ofSeconds(churnSeconds), written);
            if (contender instanceof Contender.Peer peer) {
                long[] after = peer.syncs(SERVER_NODE);
                print("kube-network-policies on %s during the churn: %d nftables syncs attempted, %d refused by the "
                        + "kernel, for %d label changes", SERVER_NODE, after[0] - syncsBefore[0],
                        after[1] - syncsBefore[1], written[0]);
            }
            contender.pause();
            keepLogs(agent, round);
            return new PeerPhase(agent, round, load(), startSeconds, rates, latencies, idle, churn, written[0]);
        }
    }

    /** Until every probe connects as the policies say ({@code enforcing}), or every one connects (paused). */
    private void awaitProbes(boolean enforcing) throws InterruptedException {
        long deadline = System.nanoTime() + ENFORCING_TIMEOUT.toNanos();
        List<String> wrong = List.of();
        while (System.nanoTime() < deadline) {
            wrong = new ArrayList<>();
            for (ProbePlan.Probe probe : plan.probes()) {
                boolean expected = probe.allowed() || !enforcing;
                if (lab.connects(probe.client().ref(), plan.server().ref(), Endpoint.tcp(probe.port()),
                        IpFamily.IPV4) != expected) {
                    wrong.add(probe.client().ref() + " -> " + plan.server().ref() + ":" + probe.port() + " should "
                            + (expected ? "connect" : "be dropped"));
                }
            }
            if (wrong.isEmpty()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException((enforcing ? "enforcing" : "paused") + ": " + wrong);
    }

    /** Slices of (a) and the agent in turn, each placement's allowed probe in each; summed per side. */
    private Map<ProbePlan.Placement, double[]> rates(Contender contender) throws Exception {
        Map<ProbePlan.Placement, ConnectionRate[]> sums = new EnumMap<>(ProbePlan.Placement.class);
        for (int s = 0; s < SLICES; s++) {
            for (int side = 0; side < 2; side++) {
                Map<ProbePlan.Placement, ConnectionRate> slice = new EnumMap<>(ProbePlan.Placement.class);
                for (int attempt = 0; attempt < 3; attempt++) {
                    if (side == 0) {
                        contender.pause();
                    } else {
                        contender.enforce();
                    }
                    for (ProbePlan.Placement placement : ProbePlan.Placement.values()) {
                        ProbePlan.Probe probe = plan.allowed(placement);
                        slice.put(placement, ConnectionRate.measure(lab, probe.client().ref(), plan.server().ref(),
                                Endpoint.tcp(probe.port()), IpFamily.IPV4, SLICE));
                    }
                    if (side == 1 || contender.stillPaused()) {
                        break;
                    }
                    print("%s woke its table during an (a) slice: measured again", contender.name);
                }
                for (ProbePlan.Placement placement : ProbePlan.Placement.values()) {
                    ConnectionRate[] both = sums.computeIfAbsent(placement, p -> new ConnectionRate[2]);
                    both[side] = both[side] == null ? slice.get(placement) : both[side].plus(slice.get(placement));
                }
            }
        }
        Map<ProbePlan.Placement, double[]> rates = new EnumMap<>(ProbePlan.Placement.class);
        sums.forEach((placement, both) -> {
            if (both[0].failures() + both[1].failures() > 0) {
                print("%s: %d connections failed under (a), %d under the agent (counted as time spent)",
                        placement.label, both[0].failures(), both[1].failures());
            }
            rates.put(placement, new double[] {both[0].perSecond(), both[1].perSecond()});
        });
        return rates;
    }

    /**
     * Per sample: the spare pod added (its path to the server opens), relabelled (closes), a policy letting it
     * through created (opens) and deleted (closes); then the pod is deleted and given a second to be forgotten.
     */
    private Map<String, List<Double>> latencies(String agent, int round) throws Exception {
        Map<String, List<Double>> latencies = new LinkedHashMap<>();
        PeerPhase.EVENTS.forEach(e -> latencies.put(e, new ArrayList<>()));
        var pods = admin.pods().inNamespace(spare.namespace());
        var policies = admin.network().v1().networkPolicies().inNamespace(
                spare.denyingSide() == SpareProbe.Side.INGRESS ? plan.server().namespace() : spare.namespace());
        for (int i = 0; i < samples; i++) {
            String name = "bench-spare-" + (agent.equals(PeerReport.NFTPOLICY) ? "n" : "k") + round + "-" + i;
            Pod object = SnapshotWriter.pod(spare.pod(name, true));
            Pod created = pods.resource(object).create();
            created.setStatus(object.getStatus());
            latencies.get("pod add").add(timed(true, () -> pods.resource(created).updateStatus()));
            String relabel = Serialization.asJson(List.of(Map.of("op", "replace", "path", "/metadata/labels",
                    "value", spare.denyLabels())));
            latencies.get("label change").add(timed(false, () -> pods.withName(name)
                    .patch(PatchContext.of(PatchType.JSON), relabel)));
            NetworkPolicy letIn = letSpareThrough(name);
            latencies.get("policy create").add(timed(true, () -> policies.resource(letIn).create()));
            latencies.get("policy delete").add(timed(false, () -> policies.withName(name).delete()));
            pods.withName(name).withGracePeriod(0).delete();
            Thread.sleep(1000);
        }
        return latencies;
    }

    /**
     * A policy that lets the spare (by its probe label) through to the server on the probed port, on the end whose
     * policies keep it out: selecting the server (ingress), or the spare (egress).
     */
    private NetworkPolicy letSpareThrough(String name) {
        var spareSelector = new LabelSelectorBuilder().withMatchLabels(Map.of(SpareProbe.PROBE_LABEL.getKey(),
                SpareProbe.PROBE_LABEL.getValue())).build();
        var serverSelector = new LabelSelectorBuilder().withMatchLabels(plan.server().labels()).build();
        var port = new NetworkPolicyPortBuilder().withProtocol("TCP").withPort(new IntOrString(spare.port())).build();
        if (spare.denyingSide() == SpareProbe.Side.INGRESS) {
            return new NetworkPolicyBuilder()
                    .withNewMetadata().withNamespace(plan.server().namespace()).withName(name).endMetadata()
                    .withNewSpec().withPodSelector(serverSelector).withPolicyTypes("Ingress")
                    .addNewIngress().addNewFrom().withPodSelector(spareSelector)
                    .withNamespaceSelector(namespaceNamed(spare.namespace())).endFrom().withPorts(port).endIngress()
                    .endSpec().build();
        }
        return new NetworkPolicyBuilder()
                .withNewMetadata().withNamespace(spare.namespace()).withName(name).endMetadata()
                .withNewSpec().withPodSelector(spareSelector).withPolicyTypes("Egress")
                .addNewEgress().addNewTo().withPodSelector(serverSelector)
                .withNamespaceSelector(namespaceNamed(plan.server().namespace())).endTo().withPorts(port).endEgress()
                .endSpec().build();
    }

    private static io.fabric8.kubernetes.api.model.LabelSelector namespaceNamed(String namespace) {
        return new LabelSelectorBuilder().withMatchLabels(Map.of(Namespace.NAME_LABEL, namespace)).build();
    }

    /**
     * Milliseconds from just before {@code change}'s API request to the start of the first of a run of probe
     * connections from the spare to the server with the {@code connects} outcome.
     */
    private double timed(boolean connects, Runnable change) throws Exception {
        AtomicLong armed = new AtomicLong(Long.MAX_VALUE);
        InetSocketAddress server = new InetSocketAddress(lab.address(plan.server().ref(), IpFamily.IPV4).orElseThrow(),
                spare.port());
        Future<Long> flip = probes.submit(() -> lab.callIn(spareRef(), () -> FlipProbe.await(server, connects, armed,
                FLIP_TIMEOUT)));
        Thread.sleep(50);
        armed.set(System.nanoTime());
        change.run();
        return flip.get(FLIP_TIMEOUT.toSeconds() + 10, TimeUnit.SECONDS) / 1e6;
    }

    /** The agents' logs, out of the control plane's run directory (which its stop removes). */
    private void keepLogs(String agent, int round) throws java.io.IOException {
        Files.createDirectories(out.resolve("logs"));
        try (var files = Files.list(cluster.runDir())) {
            for (Path log : files.filter(f -> f.getFileName().toString().matches("(peer|bench-nftpolicy)-node-\\d+\\.log"))
                    .toList()) {
                Files.copy(log, out.resolve("logs").resolve("round" + round + "-" + log.getFileName()),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    /** CPU per second of the server node's instance over {@code length}, with a label churn when asked. */
    private PeerPhase.Resources window(Contender contender, Duration length, int[] churned) throws Exception {
        double cpu = contender.cpuSeconds(SERVER_NODE);
        long start = System.nanoTime();
        if (churned == null) {
            Thread.sleep(length.toMillis());
        } else {
            try (PodChurn churn = new PodChurn(admin, churnable).start(churnRate)) {
                Thread.sleep(length.toMillis());
                churned[0] = churn.written();
            }
        }
        double perSecond = (contender.cpuSeconds(SERVER_NODE) - cpu) / seconds(start);
        long[] memory = contender.rssAndPeak(SERVER_NODE);
        return new PeerPhase.Resources(perSecond, memory[0], memory[1]);
    }

    private String spareRef() {
        return spare.namespace() + "/bench-spare";
    }

    /** The server serves the probed ports; the clients and the spare serve nothing. */
    private List<LabPod> labPods() {
        TreeSet<Integer> ports = new TreeSet<>();
        plan.probes().forEach(p -> ports.add(p.port()));
        io.nftpolicy.cluster.Pod server = plan.server();
        List<LabPod> pods = new ArrayList<>();
        pods.add(new LabPod(server.ref(), server.nodeName(), server.ips(), ports.stream().map(Endpoint::tcp).toList()));
        for (ProbePlan.Probe probe : plan.probes()) {
            io.nftpolicy.cluster.Pod client = probe.client();
            if (pods.stream().noneMatch(p -> p.name().equals(client.ref()))) {
                pods.add(new LabPod(client.ref(), client.nodeName(), client.ips(), List.of()));
            }
        }
        pods.add(new LabPod(spareRef(), SERVER_NODE, List.of(spare.address()), List.of()));
        return pods;
    }

    private String describe(ClusterGenerator.Size generated, Map<String, Ruleset> compiled) {
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "Cluster: %d namespaces × %d pods, %d policies per namespace, 2 nodes, "
                        + "seed 1 (the data-plane bench's %s), written through kube-apiserver. Server %s (%s) on %s, "
                        + "selected by %d ingress policies. The release's pod set on %s: %d addresses, on %s: %d.%n",
                generated.namespaces(), generated.podsPerNamespace(), generated.policiesPerNamespace(), size.label(),
                plan.server().ref(), plan.server().ips().get(0), SERVER_NODE, plan.serverPolicies(), SERVER_NODE,
                PeerQueueSet.of(compiled.get(SERVER_NODE)).v4().size(), ProbePlan.OTHER_NODE,
                PeerQueueSet.of(compiled.get(ProbePlan.OTHER_NODE)).v4().size()));
        for (ProbePlan.Probe p : plan.probes()) {
            text.append(String.format(Locale.ROOT, "- %s, %s: %s → port %d%n", p.allowed() ? "allowed" : "denied",
                    p.placement().label, p.client().ref(), p.port()));
        }
        text.append(String.format(Locale.ROOT, "- latency: a spare pod %s in %s on %s, labels %s (allowed) and %s "
                        + "(denied by the %s policies), → port %d%n", spare.address(), spare.namespace(),
                SERVER_NODE, spare.allowLabels(), spare.denyLabels(),
                spare.denyingSide().name().toLowerCase(Locale.ROOT), spare.port()));
        text.append(String.format(Locale.ROOT, "%nMethod: %d rounds; in each, each agent in turn (order alternating) "
                        + "starts one instance per node, alone; rates: %d slices of %d ms per placement, (a) and the "
                        + "agent in turn (its tables dormant for (a)); latency: %d samples per event; idle window %d s; "
                        + "churn window %d s at %d pod label changes/s. nftpolicy runs with %s (%s).%n", rounds,
                SLICES, SLICE.toMillis(), samples, IDLE.toSeconds(), churnSeconds, churnRate,
                jvmOptions.equals(AgentProcess.IMAGE_JVM_OPTIONS) ? "the image's JVM options" : "the JVM options",
                String.join(" ", jvmOptions)));
        return text.toString();
    }

    private static String medians(PeerPhase phase) {
        return phase.latencies().entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.0f ms", e.getKey(),
                PeerReport.median(e.getValue()))).collect(Collectors.joining(", "));
    }

    private static String load() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    private static void print(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[peer] " + format + "%n", args);
    }
}
