package io.nftpolicy.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.reporting.LeaderLease;
import io.nftpolicy.agent.sync.SyncLoop;
import io.nftpolicy.agent.sync.SyncObserver;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.agent.sync.Trigger;
import io.nftpolicy.backend.sync.Drift;
import io.nftpolicy.backend.sync.NftExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One agent under test: on a client of its own to the mock cluster, with the test's executor, its HTTP port on a
 * free loopback port, and every sync report and drift check kept for assertions.
 */
final class AgentHarness implements AutoCloseable {
    /** Test timing: 20 ms coalescing (the default), drift checks every second, back-off 100 ms to 1.6 s. */
    static final SyncLoop.Options FAST = SyncLoop.Options.defaults()
            .withDriftInterval(Duration.ofSeconds(1))
            .withBackoff(Duration.ofMillis(100), Duration.ofMillis(1600));

    final Agent agent;
    final RecordingExecutor executor;
    private final KubernetesClient client;
    private final List<SyncReport> reports = new ArrayList<>();
    private final List<Drift> driftChecks = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    private AgentHarness(KubernetesClient client, RecordingExecutor executor, NftExecutor driftReader,
                         Agent.Config config) {
        this.executor = executor;
        this.client = client;
        this.agent = new Agent(config, client, executor, driftReader, java.time.Clock.systemUTC());
        agent.addObserver(new SyncObserver() {
            @Override
            public void synced(SyncReport report) {
                synchronized (reports) {
                    reports.add(report);
                }
            }

            @Override
            public void driftChecked(Drift drift, long durationNanos) {
                synchronized (driftChecks) {
                    driftChecks.add(drift);
                }
            }
        });
    }

    static AgentHarness create(MockCluster cluster, String node, RecordingExecutor executor) {
        return create(cluster, node, executor, FAST);
    }

    static AgentHarness create(MockCluster cluster, String node, RecordingExecutor executor,
                               SyncLoop.Options options) {
        return create(cluster, executor, config(node).withLoop(options));
    }

    static AgentHarness create(MockCluster cluster, RecordingExecutor executor, Agent.Config config) {
        MockCluster.ensureNode(cluster.client(), config.node());
        return new AgentHarness(cluster.newClient(), executor, executor, config);
    }

    /**
     * On a client of the test's (which it closes with the harness). Drift checks read the table back through
     * {@code executor} too, on the drift thread. The test creates the agent's Node ({@link MockCluster#ensureNode}).
     */
    static AgentHarness create(KubernetesClient client, RecordingExecutor executor, Agent.Config config) {
        return new AgentHarness(client, executor, executor, config);
    }

    /** With drift checks through {@code driftReader} (a second libnftables context), null: on the worker. */
    static AgentHarness create(MockCluster cluster, RecordingExecutor executor, NftExecutor driftReader,
                               Agent.Config config) {
        MockCluster.ensureNode(cluster.client(), config.node());
        return new AgentHarness(cluster.newClient(), executor, driftReader, config);
    }

    /** The test configuration: metrics on a free loopback port, {@link #FAST} timing. */
    static Agent.Config config(String node) {
        return Agent.Config.forNode(node)
                .withMetricsAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .withLoop(FAST);
    }

    /** Created and started. */
    static AgentHarness start(MockCluster cluster, String node, RecordingExecutor executor) throws Exception {
        AgentHarness h = create(cluster, node, executor);
        h.agent.start();
        return h;
    }

    /**
     * Test timing for ClusterNetworkPolicy housekeeping: discovery asked every 200 ms; a Lease of 3 s, renewed every
     * 200 ms.
     */
    static final ClusterPolicySupport.Options FAST_CLUSTER_POLICIES = new ClusterPolicySupport.Options(
            Duration.ofMillis(200), new LeaderLease.Timing(Duration.ofSeconds(3), Duration.ofSeconds(2),
            Duration.ofMillis(200)), null, true);

    /** Created with {@link #FAST_CLUSTER_POLICIES} and started. */
    static AgentHarness startFollowingClusterPolicies(MockCluster cluster, String node, RecordingExecutor executor)
            throws Exception {
        AgentHarness h = create(cluster, node, executor);
        h.agent.useClusterPolicyOptions(FAST_CLUSTER_POLICIES);
        h.agent.start();
        return h;
    }

    List<SyncReport> reports() {
        synchronized (reports) {
            return List.copyOf(reports);
        }
    }

    List<SyncReport> reports(Trigger trigger) {
        return reports().stream().filter(r -> r.trigger() == trigger).toList();
    }

    List<Drift> driftChecks() {
        synchronized (driftChecks) {
            return List.copyOf(driftChecks);
        }
    }

    /** GET path on the agent's HTTP port: status code and body. */
    HttpResponse<String> get(String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.metricsPort() + path))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            agent.close();
        } finally {
            client.close();
        }
    }
}
