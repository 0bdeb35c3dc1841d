package io.nftpolicy.apiserver;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.snapshot.SnapshotWriter;
import java.time.Duration;
import java.util.concurrent.ForkJoinPool;

/** A generated cluster written through the API, as the measurements and benchmarks of this tier start from it. */
public final class GeneratedClusterWriter {
    private GeneratedClusterWriter() {}

    /** Writes the cluster through the API, 8 writers in parallel: nodes, namespaces, pods with their status, policies. */
    public static void write(KubernetesClient admin, ClusterSnapshot generated, int nodes) throws Exception {
        ForkJoinPool pool = new ForkJoinPool(8);
        try {
            for (int i = 0; i < nodes; i++) {
                admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(ClusterGenerator.nodeName(i))
                        .endMetadata().build()).create();
            }
            pool.submit(() -> generated.namespaces().parallelStream().forEach(n ->
                    admin.namespaces().resource(SnapshotWriter.namespace(n)).create())).get();
            for (var ns : generated.namespaces()) {
                await().atMost(Duration.ofMinutes(2)).until(
                        () -> admin.serviceAccounts().inNamespace(ns.name()).withName("default").get() != null);
            }
            pool.submit(() -> generated.pods().parallelStream().forEach(p -> {
                Pod object = SnapshotWriter.pod(p);
                Pod created = admin.pods().inNamespace(p.namespace()).resource(object).create();
                created.setStatus(object.getStatus());
                admin.pods().inNamespace(p.namespace()).resource(created).updateStatus();
            })).get();
            pool.submit(() -> generated.policies().parallelStream().forEach(p -> admin.network().v1()
                    .networkPolicies().inNamespace(p.namespace()).resource(SnapshotWriter.policy(p)).create()))
                    .get();
        } finally {
            pool.shutdown();
        }
    }
}
