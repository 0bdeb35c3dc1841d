package io.nftpolicy.agent;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.nftpolicy.agent.sync.SyncObserver;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.backend.sync.AnnouncingExecutor;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;

/**
 * The agent alone in a JVM of its own, as {@code nftpolicy run --netns} runs it, so that {@link AgentKillKernelTest}
 * can kill it with SIGKILL in the middle of a transaction. It says {@code started} once it has listed the cluster,
 * {@code transaction N} before it sends each transaction ({@link AnnouncingExecutor}), and {@code synced ...} or
 * {@code failed ...} after each sync. It runs until its standard input is closed or it is killed.
 *
 * <p>Arguments: network namespace, the API server's URL (the test's mock server), node name.
 */
final class AgentChild {
    private AgentChild() {}

    public static void main(String[] args) throws Exception {
        Config api = new ConfigBuilder(Config.empty()).withMasterUrl(args[1]).withTrustCerts(true).build();
        try (LibnftablesExecutor kernel = LibnftablesExecutor.openInNamespace(args[0]);
             LibnftablesExecutor driftReader = LibnftablesExecutor.openInNamespace(args[0]);
             KubernetesClient client = new KubernetesClientBuilder().withConfig(api).build();
             Agent agent = new Agent(Agent.Config.forNode(ensureNode(client, args[2]))
                     .withMetricsAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), client,
                     new AnnouncingExecutor(kernel), driftReader, Clock.systemUTC())) {
            agent.addObserver(new SyncObserver() {
                @Override
                public void synced(SyncReport report) {
                    System.out.println(report.result().map(r -> "synced " + r.operations() + " operations in "
                            + r.transactions() + " transactions, " + report.durationNanos() / 1_000_000 + " ms")
                            .orElse("failed " + report.error().orElse("")));
                    System.out.flush();
                }
            });
            agent.start();
            System.out.println("started");
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the test closes our input (or kills us)
            }
        }
    }

    private static String ensureNode(KubernetesClient client, String node) {
        MockCluster.ensureNode(client, node);
        return node;
    }
}
