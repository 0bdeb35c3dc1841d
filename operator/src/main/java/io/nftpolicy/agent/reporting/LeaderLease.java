package io.nftpolicy.agent.reporting;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaderElectionRecord;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.Lock;
import java.net.HttpURLConnection;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One coordination.k8s.io/v1 Lease that the agents of the cluster compete for, through fabric8's
 * {@code LeaderElector}: at most one holds it, and runs {@code onStart} until it loses it or closes ({@code onStop}).
 *
 * <p>fabric8's elector ends for good once the holder fails to renew (an API server outage longer than the renew
 * deadline); an agent lives longer than that, so a new election starts whenever one ends, until {@link #close()}.
 * Closing releases the Lease, so that another agent takes over at once rather than after the lease duration.
 *
 * <p>The Lease's verbs (RBAC): get and patch on its name, create in its namespace (RBAC cannot limit create to a
 * name).
 */
public final class LeaderLease implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderLease.class);

    /**
     * @param leaseDuration how long the others wait after the holder's last renewal before taking over
     * @param renewDeadline how long the holder keeps trying to renew before it gives up leading
     * @param retryPeriod   how often the holder renews, and the others try
     */
    public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
        /** client-go's defaults: 15 s, 10 s, 2 s. */
        public static Timing defaults() {
            return new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));
        }

        public Timing {
            Objects.requireNonNull(leaseDuration, "leaseDuration");
            Objects.requireNonNull(renewDeadline, "renewDeadline");
            Objects.requireNonNull(retryPeriod, "retryPeriod");
            if (renewDeadline.compareTo(leaseDuration) >= 0 || retryPeriod.compareTo(renewDeadline) >= 0) {
                throw new IllegalArgumentException("need retryPeriod < renewDeadline < leaseDuration: " + this);
            }
        }
    }

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final String identity;
    private final Timing timing;
    private final Runnable onStart;
    private final Runnable onStop;
    private CompletableFuture<?> election;
    private boolean closed;

    public LeaderLease(KubernetesClient client, String namespace, String name, String identity, Timing timing,
                       Runnable onStart, Runnable onStop) {
        this.client = Objects.requireNonNull(client, "client");
        this.namespace = Objects.requireNonNull(namespace, "namespace");
        this.name = Objects.requireNonNull(name, "name");
        this.identity = Objects.requireNonNull(identity, "identity");
        this.timing = Objects.requireNonNull(timing, "timing");
        this.onStart = Objects.requireNonNull(onStart, "onStart");
        this.onStop = Objects.requireNonNull(onStop, "onStop");
    }

    /** Starts competing for the Lease; returns at once. */
    public synchronized void start() {
        if (closed || election != null) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        elect();
    }

    private synchronized void elect() {
        if (closed) {
            return;
        }
        var config = new LeaderElectionConfigBuilder()
                .withName("nftpolicy-" + name)
                .withLock(new QuietLock(new LeaseLock(namespace, name, identity)))
                .withLeaseDuration(timing.leaseDuration())
                .withRenewDeadline(timing.renewDeadline())
                .withRetryPeriod(timing.retryPeriod())
                .withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(this::started, this::stopped, leader -> LOG.info(
                        "lease {}/{}: the leader is now {}", namespace, name, leader)))
                .build();
        CompletableFuture<?> running = client.leaderElector().withConfig(config).build().start();
        election = running;
        running.whenComplete((v, t) -> {
            if (t != null && !(t instanceof java.util.concurrent.CancellationException)) {
                LOG.warn("lease {}/{}: the election ended: {}", namespace, name, t.toString());
            }
            elect(); // lost the lease, or the renewals failed: compete again (unless closed)
        });
    }

    private void started() {
        LOG.info("lease {}/{}: {} leads", namespace, name, identity);
        onStart.run();
    }

    private void stopped() {
        LOG.info("lease {}/{}: {} no longer leads", namespace, name, identity);
        onStop.run();
    }

    /**
     * The Lease, with its failures told here rather than by fabric8's elector, which logs each at ERROR with a stack
     * trace (its logger is off in logback.xml): a conflict, which every agent but one meets whenever the Lease
     * changes hands, only at debug; another failure (RBAC, the API server) once per distinct message.
     */
    private final class QuietLock implements Lock {
        private final Lock lock;
        private volatile String lastProblem;

        QuietLock(Lock lock) {
            this.lock = lock;
        }

        @Override
        public LeaderElectionRecord get(KubernetesClient c) {
            return told(() -> lock.get(c));
        }

        @Override
        public void create(KubernetesClient c, LeaderElectionRecord record) {
            told(() -> {
                lock.create(c, record);
                return null;
            });
        }

        @Override
        public void update(KubernetesClient c, LeaderElectionRecord record) {
            told(() -> {
                lock.update(c, record);
                return null;
            });
        }

        private <T> T told(java.util.function.Supplier<T> request) {
            try {
                T result = request.get();
                lastProblem = null;
                return result;
            } catch (KubernetesClientException e) {
                if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
                    LOG.debug("lease {}/{}: another agent wrote it first", namespace, name);
                } else if (!String.valueOf(e.getMessage()).equals(lastProblem)) {
                    lastProblem = String.valueOf(e.getMessage());
                    LOG.warn("lease {}/{}: {} (trying again every {} ms)", namespace, name, e.getMessage(),
                            timing.retryPeriod().toMillis());
                }
                throw e;
            }
        }

        @Override
        public String identity() {
            return lock.identity();
        }

        @Override
        public String describe() {
            return lock.describe();
        }
    }

    /** Stops competing; the holder releases the Lease and runs {@code onStop}. */
    @Override
    public void close() {
        CompletableFuture<?> running;
        synchronized (this) {
            closed = true;
            running = election;
        }
        if (running != null) {
            running.cancel(true);
        }
    }
}
