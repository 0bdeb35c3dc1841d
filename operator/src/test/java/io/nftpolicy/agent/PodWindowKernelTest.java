package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.KernelTest;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The window between a pod's network and its rules, in both modes, with the agent on a lab node (real kernel,
 * real connections) and the mock API server. A target pod's network exists all along; the test creates its Pod
 * object (address, labels that policy {@code dev/allow-client} selects: ingress on 8080 from {@code app=client}
 * only), and new connections are attempted every 2 ms meanwhile:
 * <ul>
 *   <li>open mode: from {@code dev/denied}, which the policy denies: they get through until the agent has
 *       programmed the pod; the window is the start of the last one that connected, from the request;</li>
 *   <li>fail-closed mode: from {@code dev/client}, which the policy allows: they are dropped until then; the
 *       window is the start of the first one that connected.</li>
 * </ul>
 * Then the Pod object is deleted, the address goes back to unknown, and the next sample starts. By default 3
 * samples per mode (a test); {@code -Dnftpolicy.window.samples=40} for figures (docs/agent.md).
 *
 * <p>Also on this lab: an agent restart under traffic, where no denied connection may pass.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class PodWindowKernelTest {
    private static final int SAMPLES = Integer.getInteger("nftpolicy.window.samples", 3);
    private static final int TARGETS = 4;
    private static final int PORT = 8080;
    private static final String NODE = "n1";
    private static final Duration FLIP_TIMEOUT = Duration.ofSeconds(10);
    /** Consecutive attempts (2 ms apart) with the new outcome that make a flip final. */
    private static final int STABLE = 25;

    private Lab lab;
    private MockCluster cluster;
    private LibnftablesExecutor kernel;
    private AgentHarness agent;

    @BeforeAll
    void startLab() throws Exception {
        List<LabPod> pods = new ArrayList<>();
        pods.add(new LabPod("dev/client", NODE, List.of("10.244.1.2"), List.of(Endpoint.tcp(PORT))));
        pods.add(new LabPod("dev/denied", NODE, List.of("10.244.1.3"), List.of(Endpoint.tcp(PORT))));
        for (int i = 0; i < TARGETS; i++) {
            pods.add(new LabPod(target(i), NODE, List.of(address(i)), List.of(Endpoint.tcp(PORT))));
        }
        lab = Lab.start(pods, LabOptions.defaults());
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @AfterEach
    void stopAgent() {
        if (agent != null) {
            agent.close();
        }
        if (kernel != null) {
            kernel.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    private static String target(int i) {
        return "dev/t" + i;
    }

    private static String address(int i) {
        return "10.244.1." + (10 + i);
    }

    private void startAgent(boolean failClosed) throws Exception {
        cluster = new MockCluster();
        cluster.namespace("dev", Map.of());
        cluster.pod("dev", "client", NODE, "10.244.1.2", Map.of("app", "client"));
        cluster.pod("dev", "denied", NODE, "10.244.1.3", Map.of("app", "denied"));
        cluster.allowFrom("dev", "allow-client", Map.of("app", "target"), Map.of("app", "client"));
        startAgentOn(failClosed);
    }

    /** A new agent (and libnftables context) on the lab node, for the cluster as it is. */
    private void startAgentOn(boolean failClosed) throws Exception {
        kernel = LibnftablesExecutor.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE));
        Agent.Config config = AgentHarness.config(NODE).withLoop(io.nftpolicy.agent.sync.SyncLoop.Options.defaults());
        if (failClosed) {
            config = config.withFailClosed(List.of(Cidr.parse("10.244.1.0/24")));
        }
        agent = AgentHarness.create(cluster, new RecordingExecutor(kernel), config);
        agent.agent.start();
        await().atMost(Duration.ofSeconds(15)).until(agent.agent::ready);
    }

    @Test
    void openModeLetsDeniedTrafficThroughUntilThePodIsProgrammed() throws Exception {
        startAgent(false);
        report("open: denied traffic still passing", measure("dev/denied", true));
    }

    @Test
    void failClosedModeBlocksAllowedTrafficUntilThePodIsProgrammed() throws Exception {
        startAgent(true);
        report("fail-closed: allowed traffic still blocked", measure("dev/client", false));
    }

    @Test
    void aRestartUnderTrafficLetsNoDeniedConnectionThroughAndCutsNoAllowedOne() throws Exception {
        startAgent(false);
        cluster.pod("dev", "t0", NODE, address(0), Map.of("app", "target"));
        InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(address(0)), PORT);
        try (ConnectionAttempts denied = ConnectionAttempts.start(lab, "dev/denied", to, 2, 150);
             ConnectionAttempts allowed = ConnectionAttempts.start(lab, "dev/client", to, 2, 150)) {
            long programmed = System.nanoTime();
            await().atMost(FLIP_TIMEOUT).pollInterval(Duration.ofMillis(10))
                    .until(() -> flippedFor(denied, programmed, false) && flippedFor(allowed, programmed, true));
            long before = System.nanoTime();

            agent.close();
            kernel.close();
            Thread.sleep(300); // no agent at all
            startAgentOn(false);
            Thread.sleep(300);
            long after = System.nanoTime();
            Thread.sleep(200); // let the last attempts finish

            assertThat(denied.attempts().stream().filter(a -> a.startNanos() - before >= 0
                    && a.startNanos() - after < 0)).as("denied attempts through the restart").hasSizeGreaterThan(100)
                    .noneMatch(ConnectionAttempts.Attempt::connected);
            assertThat(allowed.attempts().stream().filter(a -> a.startNanos() - before >= 0
                    && a.startNanos() - after < 0)).as("allowed attempts through the restart")
                    .hasSizeGreaterThan(100).allMatch(ConnectionAttempts.Attempt::connected);
        }
        assertThat(agent.reports().get(0).result().orElseThrow().operations()).as("nothing changed: a no-op")
                .isZero();
    }

    /**
     * @param from       the pod the attempts come from
     * @param openBefore whether its connections pass while the target is unknown (and stop passing once programmed)
     * @return the windows, in nanoseconds
     */
    private List<Long> measure(String from, boolean openBefore) throws Exception {
        List<Long> windows = new ArrayList<>();
        for (int i = 0; i < SAMPLES; i++) {
            int t = i % TARGETS;
            InetSocketAddress to = new InetSocketAddress(InetAddress.getByName(address(t)), PORT);
            try (ConnectionAttempts attempts = ConnectionAttempts.start(lab, from, to, 2, 150)) {
                long settled = System.nanoTime();
                await().atMost(FLIP_TIMEOUT).pollInterval(Duration.ofMillis(10))
                        .until(() -> attempts.allSince(settled, openBefore, STABLE));

                long requested = System.nanoTime();
                cluster.pod("dev", "t" + t, NODE, address(t), Map.of("app", "target"));
                await().atMost(FLIP_TIMEOUT).pollInterval(Duration.ofMillis(10))
                        .until(() -> flippedFor(attempts, requested, !openBefore));
                long window = (openBefore ? attempts.lastConnectedSince(requested)
                        : attempts.firstConnectedSince(requested)).orElse(requested) - requested;
                windows.add(window);
            }
            cluster.deletePod("dev", "t" + t);
        }
        return windows;
    }

    /** The last {@link #STABLE} attempts since {@code since} all have the outcome {@code connected}. */
    private static boolean flippedFor(ConnectionAttempts attempts, long since, boolean connected) {
        List<ConnectionAttempts.Attempt> after = attempts.attempts().stream()
                .filter(a -> a.startNanos() - since >= 0)
                .sorted(java.util.Comparator.comparingLong(ConnectionAttempts.Attempt::startNanos)).toList();
        return after.size() >= STABLE
                && after.subList(after.size() - STABLE, after.size()).stream().allMatch(a -> a.connected() == connected);
    }

    private static void report(String what, List<Long> windows) {
        List<Long> sorted = windows.stream().sorted().toList();
        System.out.printf(Locale.ROOT, "%s, %d samples: p50 %.1f ms, p99 %.1f ms, max %.1f ms, min %.1f ms%n", what,
                sorted.size(), pct(sorted, 50) / 1e6, pct(sorted, 99) / 1e6, sorted.get(sorted.size() - 1) / 1e6,
                sorted.get(0) / 1e6);
        assertThat(sorted).hasSize(SAMPLES).allSatisfy(w -> assertThat(w).isBetween(0L, FLIP_TIMEOUT.toNanos()));
    }

    private static long pct(List<Long> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
