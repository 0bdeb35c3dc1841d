package io.nftpolicy.apiserver;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.snapshot.SnapshotWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Writes a generated cluster into kube-apiserver through its API as fast as it takes it: a bounded number of
 * requests in flight ({@code writers} threads, each one request at a time on the client's shared connection). Pods are
 * created with spec.nodeName, then given their status (phase, podIP, podIPs) through the status subresource, as a
 * kubelet or kwok would: two requests each. Nodes exist as objects only: there is no kubelet.
 *
 * <p>Objects that already exist are left as they are, so that a larger cluster of the same generator can be written
 * over a smaller one (the generator's namespaces are a prefix of a larger run's for the same nodes and seed).
 */
public final class ClusterWriter implements AutoCloseable {
    /** A request refused for load (429, 5xx) or lost on the wire is tried again this many times, with a pause. */
    private static final int ATTEMPTS = 5;

    private final KubernetesClient admin;
    private final ExecutorService writers;
    private final int writerCount;

    ClusterWriter(KubernetesClient admin, int writers) {
        this.admin = admin;
        this.writerCount = writers;
        this.writers = Executors.newFixedThreadPool(writers);
    }

    /** What one kind of object cost to write. */
    record Written(String kind, int objects, int requests, double seconds, int failed, String firstFailure) {
        double requestsPerSecond() {
            return requests / seconds;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d %s (%,d requests) in %.1f s: %.0f requests/s%s", objects, kind,
                    requests, seconds, requestsPerSecond(),
                    failed == 0 ? "" : ", " + failed + " failed (first: " + firstFailure + ")");
        }
    }

    /** Nodes node-{@code from} to node-{@code to - 1}, as bare Node objects. */
    Written nodes(int from, int to) throws InterruptedException {
        List<Integer> indexes = new ArrayList<>();
        for (int i = from; i < to; i++) {
            indexes.add(i);
        }
        return write("nodes", indexes, 1, i -> create(() -> admin.nodes().resource(new NodeBuilder()
                .withNewMetadata().withName(ClusterGenerator.nodeName(i)).endMetadata().build()).create()));
    }

    /**
     * The namespaces, then waits until the ServiceAccount controller has given each its "default" ServiceAccount:
     * the ServiceAccount admission plugin refuses pods in a namespace without one.
     */
    Written namespaces(List<Namespace> namespaces) throws InterruptedException {
        long start = System.nanoTime();
        Written written = write("namespaces", namespaces, 1,
                n -> create(() -> admin.namespaces().resource(SnapshotWriter.namespace(n)).create()));
        Set<String> waiting = new HashSet<>(namespaces.stream().map(Namespace::name).toList());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!waiting.isEmpty()) {
            admin.serviceAccounts().inAnyNamespace().withField("metadata.name", "default").list().getItems()
                    .forEach(sa -> waiting.remove(sa.getMetadata().getNamespace()));
            if (!waiting.isEmpty()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(waiting.size() + " namespaces have no default ServiceAccount "
                            + "after 5 minutes, e.g. " + waiting.iterator().next());
                }
                Thread.sleep(200);
            }
        }
        return new Written(written.kind(), written.objects(), written.requests(), (System.nanoTime() - start) / 1e9,
                written.failed(), written.firstFailure());
    }

    /** Each pod created, then its status written through the status subresource. */
    Written pods(List<io.nftpolicy.cluster.Pod> pods) throws InterruptedException {
        return write("pods", pods, 2, p -> {
            Pod object = SnapshotWriter.pod(p);
            var resource = admin.pods().inNamespace(p.namespace());
            Pod created = create(() -> resource.resource(object).create());
            if (created == null) {
                created = resource.withName(p.name()).get();
            }
            created.setStatus(object.getStatus());
            Pod withStatus = created;
            retrying(() -> resource.resource(withStatus).updateStatus());
        });
    }

    Written policies(ClusterSnapshot snapshot) throws InterruptedException {
        return write("policies", snapshot.policies(), 1, p -> create(() -> admin.network().v1().networkPolicies()
                .inNamespace(p.namespace()).resource(SnapshotWriter.policy(p)).create()));
    }

    /**
     * The whole cluster (nodes, namespaces, pods with their status, policies) with 32 requests in flight, as the
     * benchmarks of this tier start from it; fails if any object could not be written.
     */
    public static void writeAll(KubernetesClient admin, ClusterSnapshot generated, int nodes)
            throws InterruptedException {
        try (ClusterWriter writer = new ClusterWriter(admin, 32)) {
            for (Written written : List.of(writer.nodes(0, nodes), writer.namespaces(generated.namespaces()),
                    writer.pods(generated.pods()), writer.policies(generated))) {
                if (written.failed() > 0) {
                    throw new IllegalStateException("writing the cluster: " + written);
                }
            }
        }
    }

    int writerCount() {
        return writerCount;
    }

    private <T> Written write(String kind, List<T> items, int requestsEach, Consumer<T> writeOne)
            throws InterruptedException {
        AtomicInteger failed = new AtomicInteger();
        AtomicReference<String> firstFailure = new AtomicReference<>();
        long start = System.nanoTime();
        List<Future<?>> futures = new ArrayList<>(items.size());
        for (T item : items) {
            futures.add(writers.submit(() -> {
                try {
                    writeOne.accept(item);
                } catch (RuntimeException e) {
                    failed.incrementAndGet();
                    firstFailure.compareAndSet(null, e.getMessage());
                }
            }));
        }
        for (Future<?> future : futures) {
            try {
                future.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e.getCause());
            }
        }
        return new Written(kind, items.size(), items.size() * requestsEach, (System.nanoTime() - start) / 1e9,
                failed.get(), firstFailure.get());
    }

    /** Creates, or returns null when the object exists already (an earlier step, or a retry whose first try landed). */
    private static <T> T create(java.util.function.Supplier<T> request) {
        try {
            return retrying(request);
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return null;
            }
            throw e;
        }
    }

    private static <T> T retrying(java.util.function.Supplier<T> request) {
        for (int attempt = 1; ; attempt++) {
            try {
                return request.get();
            } catch (KubernetesClientException e) {
                boolean load = e.getCode() == 429 || e.getCode() >= 500 || e.getCode() == 0;
                if (!load || attempt == ATTEMPTS) {
                    throw e;
                }
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        writers.shutdown();
        writers.awaitTermination(1, TimeUnit.MINUTES);
    }
}
