package io.nftpolicy.apiserver;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.nftpolicy.cluster.Pod;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A steady stream of pod label changes through the API: each moves a random pod to the next tier (a label the
 * generated policies select on) and sets a label "churn" no policy selects to a new serial number, so that every
 * patch is an event even where another churn left the tier; one JSON merge patch per event, started at a fixed rate
 * by 16 writers.
 */
public final class PodChurn implements AutoCloseable {
    private static final String[] TIERS = {"frontend", "backend", "db"};

    private final KubernetesClient admin;
    private final List<Pod> pods;
    private final Random random = new Random(7);
    private final ScheduledExecutorService ticks = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService writers = Executors.newFixedThreadPool(16);
    private final AtomicInteger written = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger serial = new AtomicInteger();
    /** Each pod's tier as last written, so that the next write changes it. */
    private final Map<String, Integer> tiers = new ConcurrentHashMap<>();

    /** @param pods the pods it may relabel (not the probes' models, whose labels must stay) */
    public PodChurn(KubernetesClient admin, List<Pod> pods) {
        this.admin = admin;
        this.pods = pods;
    }

    /** Starts {@code perSecond} label changes a second until {@link #close()}. */
    public PodChurn start(int perSecond) {
        ticks.scheduleAtFixedRate(() -> writers.submit(this::relabel), 0, 1_000_000L / perSecond,
                TimeUnit.MICROSECONDS);
        return this;
    }

    /** {@code count} label changes as fast as the writers go; returns when all are answered. */
    public void burst(int count) throws InterruptedException {
        int before = written.get() + failed.get();
        for (int i = 0; i < count; i++) {
            writers.submit(this::relabel);
        }
        while (written.get() + failed.get() < before + count) {
            Thread.sleep(10);
        }
    }

    private void relabel() {
        Pod pod;
        synchronized (random) {
            pod = pods.get(random.nextInt(pods.size()));
        }
        int next = tiers.compute(pod.namespace() + "/" + pod.name(), (key, last) -> last == null
                ? (Arrays.asList(TIERS).indexOf(pod.labels().get("tier")) + 1) % TIERS.length
                : (last + 1) % TIERS.length);
        String tier = TIERS[next];
        try {
            admin.pods().inNamespace(pod.namespace()).withName(pod.name()).patch(
                    PatchContext.of(PatchType.JSON_MERGE), "{\"metadata\":{\"labels\":{\"tier\":\"" + tier
                            + "\",\"churn\":\"" + serial.incrementAndGet() + "\"}}}");
            written.incrementAndGet();
        } catch (RuntimeException e) {
            failed.incrementAndGet();
        }
    }

    public int written() {
        return written.get();
    }

    public int failed() {
        return failed.get();
    }

    @Override
    public void close() throws InterruptedException {
        ticks.shutdownNow();
        // Ticks the server could not keep up with wait in the queue: dropped, or they would go on writing into
        // whatever is measured next.
        writers.shutdownNow();
        writers.awaitTermination(1, TimeUnit.MINUTES);
    }
}
