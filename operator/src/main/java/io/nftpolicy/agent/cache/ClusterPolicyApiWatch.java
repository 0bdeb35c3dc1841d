package io.nftpolicy.agent.cache;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks API discovery again, every interval, whether ClusterNetworkPolicy is served ({@link ClusterPolicyApi}), and
 * tells its listeners when the answer changed: the CRD installed after the agent started, removed, or serving
 * another version. Discovery is open to every authenticated client: this needs no RBAC.
 *
 * <p>A CRD that appears is taken at the first answer. One that disappears is let go only when two answers in a row
 * say so: dropping the policies takes their Deny rules away, and a single odd answer (a discovery document being
 * rebuilt) must not do that. A failed request changes nothing.
 */
public final class ClusterPolicyApiWatch implements AutoCloseable {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(30);
    /** Answers in a row without the CRD before it is let go. */
    static final int ABSENT_ANSWERS = 2;
    private static final Logger LOG = LoggerFactory.getLogger(ClusterPolicyApiWatch.class);

    private final KubernetesClient client;
    private final Duration interval;
    private final List<Consumer<Optional<ClusterPolicyApi>>> listeners = new CopyOnWriteArrayList<>();
    private volatile ScheduledExecutorService timer;
    // The timer's thread only (and check() in tests).
    private Optional<ClusterPolicyApi> current = Optional.empty();
    private int absentAnswers;

    public ClusterPolicyApiWatch(KubernetesClient client, Duration interval) {
        this.client = Objects.requireNonNull(client, "client");
        this.interval = Objects.requireNonNull(interval, "interval");
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
    }

    /** Adds a listener of changes (before {@link #start}); called on the watch's thread. */
    public void addListener(Consumer<Optional<ClusterPolicyApi>> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Starts asking, every interval, from what the start-up discovery found. */
    public synchronized void start(Optional<ClusterPolicyApi> known) {
        if (timer != null) {
            throw new IllegalStateException("already started");
        }
        current = known;
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nftpolicy-api-discovery");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Asks discovery once and tells the listeners if the answer changed (the timer's task). */
    synchronized void check() {
        Optional<ClusterPolicyApi> served;
        try {
            served = ClusterPolicyApi.discover(client);
        } catch (KubernetesClientException e) {
            LOG.debug("API discovery of {} failed; asking again in {} s: {}", ClusterPolicyApi.GROUP,
                    interval.toSeconds(), e.toString());
            return;
        }
        if (served.isEmpty() && current.isPresent() && ++absentAnswers < ABSENT_ANSWERS) {
            LOG.info("API discovery no longer lists {} ({}); letting it go if the next answer agrees",
                    ClusterPolicyApi.PLURAL, current.get().apiVersion());
            return;
        }
        absentAnswers = 0;
        if (served.equals(current)) {
            return;
        }
        current = served;
        for (Consumer<Optional<ClusterPolicyApi>> listener : listeners) {
            try {
                listener.accept(served);
            } catch (RuntimeException e) {
                LOG.warn("a listener of the {} API failed: {}", ClusterPolicyApi.PLURAL, e.toString(), e);
            }
        }
    }

    /** Stops asking (without waiting for a request under way). */
    @Override
    public void close() {
        ScheduledExecutorService t = timer;
        if (t != null) {
            t.shutdownNow();
        }
    }
}
