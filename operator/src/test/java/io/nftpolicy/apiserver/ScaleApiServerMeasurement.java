package io.nftpolicy.apiserver;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.Agent;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.testing.KernelTest;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A generated cluster written into kube-apiserver, and one agent's start on it (first list and first sync into a
 * network namespace's kernel), with its heap. Opt-in (minutes):
 *
 * <pre>
 * mvn -B -pl operator -am test -Dtest=ScaleApiServerMeasurement -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dnftpolicy.measure=true [-Dnftpolicy.measure.namespaces=200] [-Dnftpolicy.measure.podsPerNamespace=50]
 *     [-Dnftpolicy.measure.nodes=20] [-Dnftpolicy.measure.writers=32]
 * </pre>
 *
 * Sizes ({@link ClusterGenerator}, seed 1): namespaces × pods per namespace on the nodes, 10 policies per namespace,
 * written by {@link ClusterWriter}.
 */
@EnabledIfSystemProperty(named = "nftpolicy.measure", matches = "true")
@ExtendWith(ControlPlane.Extension.class)
@KernelTest
class ScaleApiServerMeasurement {
    private static final String NODE = ClusterGenerator.nodeName(0);

    @Test
    void measure() throws Exception {
        int namespaces = Integer.getInteger("nftpolicy.measure.namespaces", 200);
        ClusterGenerator.Size size = new ClusterGenerator.Size(namespaces,
                Integer.getInteger("nftpolicy.measure.podsPerNamespace", 50),
                Integer.getInteger("nftpolicy.measure.nodes", 20), 10, 1L);
        ClusterSnapshot generated = ClusterGenerator.generate(size);
        ControlPlane cluster = ControlPlane.get();
        Deployment.applyBase(cluster);
        try (KubernetesClient admin = cluster.adminClient();
             ClusterWriter writer = new ClusterWriter(admin, Integer.getInteger("nftpolicy.measure.writers", 32))) {
            System.out.printf(Locale.ROOT, "wrote %s; %s; %s; %s with %d writers; %s%n", writer.nodes(0, size.nodes()),
                    writer.namespaces(generated.namespaces()), writer.pods(generated.pods()),
                    writer.policies(generated), writer.writerCount(), ControlPlaneFootprint.read(cluster));

            long heapBefore = heapAfterGc();
            try (NetworkNamespace netns = NetworkNamespace.create("nftt-scale");
                 LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(netns.name());
                 LibnftablesExecutor driftReader = LibnftablesExecutor.openInNamespace(netns.name());
                 KubernetesClient agentClient = ControlPlane.clientFor(
                         Deployment.agentKubeconfig(cluster, "agent-scale"))) {
                Agent agent = new Agent(Agent.Config.forNode(NODE)
                        .withMetricsAddress(new InetSocketAddress("127.0.0.1", 0)), agentClient, executor,
                        driftReader, Clock.systemUTC());
                try {
                    long agentStart = System.nanoTime();
                    agent.start();
                    long listed = System.nanoTime();
                    await().atMost(Duration.ofMinutes(5)).until(agent::ready);
                    long synced = System.nanoTime();
                    Thread.sleep(500);
                    long heapAfter = heapAfterGc();
                    System.out.printf(Locale.ROOT, "agent for %s: listed in %.2f s, first sync %.2f s after; "
                                    + "heap after GC %.1f MB more than before it (informer stores %s)%n", NODE,
                            (listed - agentStart) / 1e9, (synced - listed) / 1e9, (heapAfter - heapBefore) / 1e6,
                            agent.cache().informerStoreSizes());
                } finally {
                    agent.close();
                }
            }
        }
    }

    private static long heapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
