package io.nftpolicy.backend.sync;

import static io.nftpolicy.backend.sync.TestClusters.compile;
import static io.nftpolicy.backend.sync.TestClusters.demo;
import static io.nftpolicy.testing.Clusters.cluster;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.testing.KernelTest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the kernel itself reports while the applier changes a table: {@code nft monitor} runs in the namespace as a
 * child process (its one handle is kept and destroyed in {@link #stop()}), and every event it prints between two
 * markers is collected. A pod's label change, or a new pod, must show as set and map element events only, in one
 * transaction (one {@code # new generation} line): never a table, chain or set created or deleted, never a chain
 * flushed (which the monitor prints as {@code delete rule}). Needs root.
 */
@KernelTest
class MonitorKernelTest {
    private static final String PEERS_FRONTEND = "peer-9a3bd8b3-v4";
    private static final String TABLE = "inet nftpolicy ";

    private NetworkNamespace ns;
    private LibnftablesExecutor executor;
    private Process monitor;
    private final BlockingQueue<String> events = new LinkedBlockingQueue<>();
    private int marker;

    @BeforeEach
    void start() throws Exception {
        ns = NetworkNamespace.create("nftt-monitor");
        executor = LibnftablesExecutor.openInNamespace(ns.name());
        monitor = new ProcessBuilder("ip", "netns", "exec", ns.name(), "nft", "monitor").redirectErrorStream(true)
                .start();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(monitor.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    events.add(line);
                }
            } catch (IOException e) {
                // the monitor was stopped
            }
        }, "nft-monitor-reader");
        reader.setDaemon(true);
        reader.start();
        // The monitor prints nothing until it has subscribed: mark until it reports a marker.
        boolean listening = false;
        for (int attempt = 0; attempt < 50 && !listening; attempt++) {
            listening = mark(200).isPresent();
        }
        assertThat(listening).as("nft monitor reports events").isTrue();
    }

    @AfterEach
    void stop() {
        if (monitor != null) {
            monitor.destroy();
            try {
                if (!monitor.waitFor(5, TimeUnit.SECONDS)) {
                    monitor.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (executor != null) {
            executor.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void aPodLabelChangeIsSeenByTheKernelAsElementEventsOnlyInOneTransaction() throws Exception {
        RulesetApplier applier = new RulesetApplier(executor);
        applier.apply(compile(demo()));
        markAndCollect(10_000);
        // dev/frontend becomes role=db: it leaves the frontend peer set and the policy now isolates it.
        ClusterSnapshot relabelled = cluster(demo()).relabel("dev/frontend", "role=db").snapshot();

        applier.apply(compile(relabelled));
        List<String> seen = markAndCollect(10_000);

        assertThat(generations(seen)).as("one transaction: " + seen).isEqualTo(1);
        assertOnlyElementEvents(seen);
        assertThat(changes(seen)).containsExactlyInAnyOrder(
                "delete element " + TABLE + PEERS_FRONTEND + " { 10.244.1.11 comment \"dev/frontend\" }",
                "add element " + TABLE + "ingress-v4 { 10.244.1.11 comment \"dev/frontend\" : jump "
                        + "ing-e2d199a7-dev_test-network-policy }",
                "add element " + TABLE + "egress-v4 { 10.244.1.11 comment \"dev/frontend\" : jump "
                        + "egr-fdc9e1ef-dev_test-network-policy }");
        assertThat(applier.verify(compile(relabelled)).differences()).isEmpty();
    }

    @Test
    void aNewPeerPodIsExactlyOneElementAddedAndANewIsolatedPodExactlyItsDispatchElements() throws Exception {
        RulesetApplier applier = new RulesetApplier(executor);
        applier.apply(compile(demo()));
        markAndCollect(10_000);
        ClusterSnapshot peer = cluster(demo()).pod("dev/frontend-2", "node-2", "10.244.2.30", "role=frontend").snapshot();
        ClusterSnapshot isolated = cluster(peer).pod("dev/db-2", "node-1", "10.244.1.30", "role=db").snapshot();

        applier.apply(compile(peer));
        List<String> peerEvents = markAndCollect(10_000);
        applier.apply(compile(isolated));
        List<String> isolatedEvents = markAndCollect(10_000);

        assertThat(generations(peerEvents)).isEqualTo(1);
        assertThat(changes(peerEvents)).containsExactly(
                "add element " + TABLE + PEERS_FRONTEND + " { 10.244.2.30 comment \"dev/frontend-2\" }");
        assertThat(generations(isolatedEvents)).isEqualTo(1);
        assertThat(changes(isolatedEvents)).containsExactlyInAnyOrder(
                "add element " + TABLE + "ingress-v4 { 10.244.1.30 comment \"dev/db-2\" : jump "
                        + "ing-e2d199a7-dev_test-network-policy }",
                "add element " + TABLE + "egress-v4 { 10.244.1.30 comment \"dev/db-2\" : jump "
                        + "egr-fdc9e1ef-dev_test-network-policy }");
    }

    @Test
    void reapplyingTheSameSnapshotLeavesTheKernelSilent() throws Exception {
        RulesetApplier applier = new RulesetApplier(executor);
        applier.apply(compile(demo()));
        markAndCollect(10_000);

        applier.apply(compile(demo()));
        new RulesetApplier(executor).apply(compile(demo()));
        List<String> seen = markAndCollect(10_000);

        assertThat(seen).as("no transaction at all").isEmpty();
    }

    private static void assertOnlyElementEvents(List<String> seen) {
        for (String event : changes(seen)) {
            assertThat(event).as("event").matches("(add|delete) element inet nftpolicy .*");
        }
        assertThat(String.join("\n", seen)).doesNotContain("flush").doesNotContain(" rule ")
                .doesNotContain(" chain ").doesNotContain(" table inet nftpolicy").doesNotContain(" set ")
                .doesNotContain(" map ");
    }

    /** The events on table inet nftpolicy. */
    private static List<String> changes(List<String> seen) {
        return seen.stream().filter(l -> l.contains(" inet nftpolicy")).map(String::strip).toList();
    }

    private static long generations(List<String> seen) {
        return seen.stream().filter(l -> l.startsWith("# new generation")).count();
    }

    /** The events since the last marker; fails if the monitor does not report a new marker within the time. */
    private List<String> markAndCollect(long millis) throws InterruptedException {
        return mark(millis).orElseThrow(() -> new AssertionError("nft monitor did not report the marker"));
    }

    /**
     * Makes a marker event (a table of another name, created and deleted by the nft program) and returns every
     * event printed before it, so that everything the kernel reported up to now is in; empty if the marker did not
     * show within {@code millis}.
     */
    private Optional<List<String>> mark(long millis) throws InterruptedException {
        String name = "marker" + (++marker);
        ns.nft("add", "table", "inet", name);
        ns.nft("delete", "table", "inet", name);
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < deadline) {
            String line = events.poll(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            if (line == null) {
                break;
            }
            if (line.equals("delete table inet " + name)) {
                // Drop the marker's own events: its add and the generation lines of both commands.
                return Optional.of(seen.stream().filter(l -> !l.equals("add table inet " + name))
                        .filter(l -> !l.startsWith("# new generation") || !l.endsWith("(nft)")).toList());
            }
            seen.add(line);
        }
        return Optional.empty();
    }
}
