package io.nftpolicy.backend.sync;

import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.podsInNamespaces;
import static io.nftpolicy.testing.Policies.rule;
import static io.nftpolicy.testing.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A pod address handed from pod to pod a thousand times, on the kernel, while clients keep connecting to it. Needs
 * root (skipped otherwise).
 *
 * <p>The lab: one address, {@value #ADDRESS}, served by a network namespace on node-1, and three clients on node-2
 * (so every connection crosses the forward hook of both nodes). Each node runs the agent's path: an
 * {@link IncrementalCompiler} and a {@link RulesetApplier}. The Pod object that claims the address changes every
 * cycle: a db pod in namespace prod (admits role=alpha), a web pod in dev (admits role=beta) or an open pod in dev
 * (no policy), on node-1 or node-2, Pending or Running, sometimes the same name created again with a new uid. The
 * new pod's add comes before or after the old pod's delete, at random, and both nodes apply after each event.
 *
 * <p>Each probe is judged against the snapshots each node held while it ran (the one committed at its start, up
 * to the one being committed at its end): a node filters the address by the chain of its first isolated claimant in
 * the compiler's claim order (running, newest, name), or not at all. A connection is a wrong allow when some node
 * admitted it under none of its snapshots; a failed one is a wrong drop when every node admitted it under all.
 * (The address lives on node-1 whatever node the object names: that is what lets one lab hand it across nodes.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class IpReuseChurnKernelTest {
    private static final int CYCLES = 1000;
    private static final String ADDRESS = "10.244.1.5";
    private static final List<String> NODES = List.of("node-1", "node-2");
    private static final Endpoint HTTP = Endpoint.tcp(80);
    private static final String TARGET = "lab/x";
    /** Lab pod → the Pod object of that client: its role label decides what admits it. */
    private static final Map<String, Pod> CLIENTS = Map.of(
            "lab/alpha", client("prod", "alpha", "10.244.2.11", Map.of("role", "alpha")),
            "lab/beta", client("dev", "beta", "10.244.2.12", Map.of("role", "beta")),
            "lab/none", client("dev", "none", "10.244.2.13", Map.of()));
    private static final List<NetworkPolicy> POLICIES = List.of(
            admits("prod", "db-in", "db", "alpha"), admits("dev", "web-in", "web", "beta"));
    private static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

    private Lab lab;

    /** What kind of pod claims the address: its namespace, its app label, and the role its policy admits. */
    private enum Kind {
        DB("prod", "db", "alpha"), WEB("dev", "web", "beta"), OPEN("dev", "open", null);

        final String namespace;
        final String app;
        final String admits;

        Kind(String namespace, String app, String admits) {
            this.namespace = namespace;
            this.app = app;
            this.admits = admits;
        }

        static Kind of(Pod pod) {
            for (Kind k : values()) {
                if (k.app.equals(pod.labels().get("app"))) {
                    return k;
                }
            }
            throw new IllegalArgumentException(pod.ref());
        }
    }

    private static Pod client(String namespace, String name, String ip, Map<String, String> labels) {
        return pod(namespace + "/" + name).on("node-2").ips(ip).labels(labels).build();
    }

    private static NetworkPolicy admits(String namespace, String name, String app, String role) {
        return ingress(namespace + "/" + name, labels("app=" + app),
                rule(List.of(podsInNamespaces(labels("role=" + role), all())), List.of(tcp(80))));
    }

    @BeforeAll
    void startLab() throws Exception {
        List<LabPod> pods = new ArrayList<>();
        pods.add(new LabPod(TARGET, "node-1", List.of(ADDRESS), List.of(HTTP)));
        CLIENTS.forEach((name, pod) -> pods.add(new LabPod(name, "node-2", pod.ips(), List.of())));
        lab = Lab.start(pods, LabOptions.defaults().withProbeTimeout(Duration.ofMillis(200)));
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    /** The claimants of the address in each snapshot applied, by version. */
    private final List<List<Pod>> versions = new CopyOnWriteArrayList<>();
    /** Per node: the version last applied, and the version being applied (equal between applies). */
    private final AtomicIntegerArray applied = new AtomicIntegerArray(NODES.size());
    private final AtomicIntegerArray applying = new AtomicIntegerArray(NODES.size());

    @Test
    void aThousandHandoversOfOneAddressNeverAllowAConnectionTheNodesPoliciesDeny() throws Exception {
        List<Nftables> nfts = new ArrayList<>();
        try {
            List<IncrementalCompiler> compilers = new ArrayList<>();
            List<RulesetApplier> appliers = new ArrayList<>();
            for (String node : NODES) {
                Nftables nft = Nftables.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + node));
                nfts.add(nft);
                compilers.add(new IncrementalCompiler(node));
                appliers.add(new RulesetApplier(new LibnftablesExecutor(nft)));
            }
            Random random = new Random(14);
            Counts counts = new Counts();
            Pod current = claimant(Kind.DB, "db-0", "node-1", PodPhase.RUNNING, 0);
            commit(List.of(current), compilers, appliers, counts);

            AtomicBoolean running = new AtomicBoolean(true);
            List<Thread> probers = new ArrayList<>();
            for (String from : CLIENTS.keySet()) {
                for (int k = 0; k < 3; k++) {
                    Thread t = new Thread(() -> {
                        while (running.get()) {
                            probe(from, counts);
                        }
                    }, "probe " + from + " " + k);
                    t.setDaemon(true);
                    probers.add(t);
                }
            }
            long started = System.nanoTime();
            probers.forEach(Thread::start);
            waitForJudged(0, counts, 10_000);
            int addFirst = 0;
            int crossNode = 0;
            int sameName = 0;
            Throwable failure = null;
            try {
                for (int cycle = 1; cycle <= CYCLES; cycle++) {
                    Pod next = successor(current, cycle, random);
                    sameName += next.ref().equals(current.ref()) ? 1 : 0;
                    crossNode += next.nodeName().equals(current.nodeName()) ? 0 : 1;
                    if (random.nextBoolean()) {
                        addFirst++;
                        commit(List.of(current, next), compilers, appliers, counts);
                    } else {
                        commit(List.of(), compilers, appliers, counts);
                    }
                    commit(List.of(next), compilers, appliers, counts);
                    current = next;
                }
            } catch (Throwable t) {
                failure = t;
            } finally {
                running.set(false);
                for (Thread t : probers) {
                    t.join(5_000);
                }
            }
            if (failure != null) {
                throw new AssertionError("a commit failed", failure);
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            String report = String.format("%d reuse cycles (%d add-before-delete, %d delete-before-add, %d to another "
                            + "node's pod object, %d the same name with a new uid), %d commits on each of %d nodes "
                            + "in %.1f s, %d of them probed while in force on both; %d probes (%d connected, %d "
                            + "failed); wrong allows %d, wrong drops %d%n",
                    CYCLES, addFirst, CYCLES - addFirst, crossNode, sameName, versions.size(), NODES.size(), seconds,
                    counts.judgedVersions.get(), counts.probes.get(), counts.connected.get(),
                    counts.probes.get() - counts.connected.get(), counts.wrongAllows.get(), counts.wrongDrops.get());
            StringBuilder details = new StringBuilder(report);
            counts.wrong.stream().limit(20).forEach(w -> details.append("  ").append(w).append('\n'));
            System.out.print(details);

            assertThat(counts.wrongAllows.get()).as(details.toString()).isZero();
            assertThat(counts.judgedVersions.get()).as("commits probed while in force: " + report)
                    .isGreaterThan(versions.size() / 4);
            for (int n = 0; n < NODES.size(); n++) {
                ClusterSnapshot last = snapshot(List.of(current));
                assertThat(appliers.get(n).verify(compilers.get(n).compile(last).ruleset()).differences()).isEmpty();
            }
        } finally {
            nfts.forEach(Nftables::close);
        }
    }

    /** The pod that takes the address next: another kind, or the same name again with a new uid. */
    private static Pod successor(Pod current, int cycle, Random random) {
        String node = NODES.get(random.nextInt(NODES.size()));
        PodPhase phase = random.nextBoolean() ? PodPhase.RUNNING : PodPhase.PENDING;
        if (random.nextInt(5) == 0) {
            return claimant(Kind.of(current), current.name(), node, phase, cycle);
        }
        List<Kind> others = new ArrayList<>(List.of(Kind.values()));
        others.remove(Kind.of(current));
        Kind kind = others.get(random.nextInt(others.size()));
        return claimant(kind, kind.app + "-" + cycle, node, phase, cycle);
    }

    private static Pod claimant(Kind kind, String name, String node, PodPhase phase, int cycle) {
        return pod(kind.namespace + "/" + name).labels("app=" + kind.app).on(node).phase(phase).ips(ADDRESS)
                .port("http", 80, Protocol.TCP).uid("uid-" + cycle).created(START.plusSeconds(cycle)).build();
    }

    private static ClusterSnapshot snapshot(List<Pod> claimants) {
        return cluster().namespaces("prod", "dev").add(CLIENTS.values().toArray(Pod[]::new))
                .add(claimants.toArray(Pod[]::new)).policy(POLICIES.toArray(NetworkPolicy[]::new)).snapshot();
    }

    /** One event: the new snapshot, compiled and applied on each node in turn, as each node's agent would. */
    private void commit(List<Pod> claimants, List<IncrementalCompiler> compilers, List<RulesetApplier> appliers,
                        Counts counts) throws ApplyException {
        int version = versions.size();
        versions.add(List.copyOf(claimants));
        ClusterSnapshot snapshot = snapshot(claimants);
        for (int n = 0; n < NODES.size(); n++) {
            applying.set(n, version);
            appliers.get(n).apply(compilers.get(n).compile(snapshot).ruleset());
            applied.set(n, version);
        }
        waitForJudged(version, counts, PROBE_WAIT);
    }

    /**
     * How long a commit waits for a probe that ran entirely while it was in force. Applies take a few milliseconds
     * and allowed probes one; without the wait the churn outruns the probes. A state in which every client is
     * blocked only ends its probes at their timeout: those waits are cut short and the probes straddle the commits.
     */
    private static final long PROBE_WAIT = 25;

    private static void waitForJudged(int version, Counts counts, long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (counts.lastJudged.get() < version && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
    }

    /**
     * Whether {@code node} lets the client reach the address in a snapshot: its first isolated claimant (in the
     * compiler's claim order: running, then newest, then namespace/name) admits the client, or no claimant on this
     * node is isolated.
     */
    private static boolean admits(String node, List<Pod> claimants, Pod client) {
        return claimants.stream().filter(p -> p.nodeName().equals(node) && Kind.of(p).admits != null)
                .min(CLAIM_ORDER)
                .map(p -> Kind.of(p).admits.equals(client.labels().get("role")))
                .orElse(true);
    }

    private static final Comparator<Pod> CLAIM_ORDER = Comparator
            .comparing((Pod p) -> p.phase() != PodPhase.RUNNING)
            .thenComparing(Pod::creationTimestamp, Comparator.reverseOrder())
            .thenComparing(Pod::namespace).thenComparing(Pod::name).thenComparing(Pod::uid);

    private static final class Counts {
        final AtomicLong probes = new AtomicLong();
        final AtomicLong connected = new AtomicLong();
        final AtomicLong wrongAllows = new AtomicLong();
        final AtomicLong wrongDrops = new AtomicLong();
        final Queue<String> wrong = new ConcurrentLinkedQueue<>();
        /** The latest version a probe ran under from start to end on every node, and how many versions had one. */
        final java.util.concurrent.atomic.AtomicInteger lastJudged = new java.util.concurrent.atomic.AtomicInteger(-1);
        final java.util.concurrent.atomic.AtomicInteger judgedVersions = new java.util.concurrent.atomic.AtomicInteger();
    }

    /** One connection from a client, judged against every snapshot each node held while it ran. */
    private void probe(String from, Counts counts) {
        int[] first = new int[NODES.size()];
        for (int n = 0; n < NODES.size(); n++) {
            first[n] = applied.get(n);
        }
        boolean reached = lab.connects(from, TARGET, HTTP, IpFamily.IPV4);
        int[] last = new int[NODES.size()];
        for (int n = 0; n < NODES.size(); n++) {
            last[n] = applying.get(n);
        }
        Pod client = CLIENTS.get(from);
        boolean someNodeAlwaysDenies = false;
        boolean everyNodeAlwaysAdmits = true;
        for (int n = 0; n < NODES.size(); n++) {
            boolean anyAdmits = false;
            boolean allAdmit = true;
            for (int v = first[n]; v <= last[n]; v++) {
                boolean admits = admits(NODES.get(n), versions.get(v), client);
                anyAdmits |= admits;
                allAdmit &= admits;
            }
            someNodeAlwaysDenies |= !anyAdmits;
            everyNodeAlwaysAdmits &= allAdmit;
        }
        counts.probes.incrementAndGet();
        int only = first[0];
        boolean oneVersion = true;
        for (int n = 0; n < NODES.size(); n++) {
            oneVersion &= first[n] == only && last[n] == only;
        }
        if (oneVersion) {
            int seen = counts.lastJudged.get();
            while (seen < only && !counts.lastJudged.compareAndSet(seen, only)) {
                seen = counts.lastJudged.get();
            }
            if (seen < only) {
                counts.judgedVersions.incrementAndGet();
            }
        }
        if (reached) {
            counts.connected.incrementAndGet();
        }
        if (reached && someNodeAlwaysDenies) {
            counts.wrongAllows.incrementAndGet();
            counts.wrong.add("wrong allow " + from + " -> " + ADDRESS + " during versions " + first[0] + ".." + last[0]
                    + " / " + first[1] + ".." + last[1] + ": " + versions.get(last[0]));
        } else if (!reached && everyNodeAlwaysAdmits) {
            counts.wrongDrops.incrementAndGet();
            counts.wrong.add("wrong drop " + from + " -> " + ADDRESS + " during versions " + first[0] + ".." + last[0]
                    + " / " + first[1] + ".." + last[1] + ": " + versions.get(last[0]));
        }
    }
}
