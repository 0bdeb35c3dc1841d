package io.nftpolicy.agent.reporting;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nftpolicy.agent.sync.SyncObserver;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.crd.Condition;
import io.nftpolicy.crd.InvalidPolicy;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodeSyncStatus;
import io.nftpolicy.crd.ObjectProblem;
import io.nftpolicy.crd.RulesetCounts;
import io.nftpolicy.crd.SyncError;
import io.nftpolicy.crd.Timestamps;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what the sync loop did where users read it: this node's {@link NodePolicyStatus} and Kubernetes Events
 * ({@link EventRecorder}).
 *
 * <p>Off the sync loop's thread: reports are handed to a thread of this reporter's, and only the latest one waiting
 * is written (a burst of syncs costs one write). Failures are the exception: each distinct one gets its
 * ApplyFailed Event even when a success follows at once.
 *
 * <p>Writes. The resource is created (named after the node) when absent, then only its status is written, with
 * a plain update of the status subresource (no server-side apply) and only when something a reader cares about
 * changed: the ruleset's hash, the counts, the invalid policies, the error, the Ready condition. A no-op sync
 * writes nothing, so {@code appliedAt} and {@code lastSyncDurationMillis} describe the last sync that changed
 * the status. A conflict or a deleted resource is retried at once (re-read, or re-created); another failure
 * (API server unreachable) is retried after {@link #RETRY_DELAY}.
 */
public final class StatusReporter implements SyncObserver, AutoCloseable {
    /** Wait before writing again after the API server refused or failed a write. */
    public static final Duration RETRY_DELAY = Duration.ofSeconds(5);
    /**
     * Least time between two status writes. A status with a new ruleset hash renders the whole ruleset (tens of
     * milliseconds at 10,000 pods), on a core the sync loop shares: under steady churn this bounds that work to
     * one rendering per interval, whatever the rate of syncs. The last report of a burst is always written.
     */
    public static final Duration MIN_WRITE_INTERVAL = Duration.ofSeconds(1);
    public static final String REASON_SYNCED = "Synced";
    /** Ready=Unknown, written by the agent as it stops (SIGTERM). */
    public static final String REASON_AGENT_STOPPED = "AgentStopped";
    /** Ready=Unknown, written by another node's agent when this one's heartbeat stopped (a crash). */
    public static final String REASON_NOT_REPORTING = "AgentNotReporting";
    public static final String REASON_SYNC_FAILED = "SyncFailed";
    private static final Logger LOG = LoggerFactory.getLogger(StatusReporter.class);

    private final KubernetesClient client;
    private final String node;
    private final Clock clock;
    private final EventRecorder events;
    private final ScheduledExecutorService executor;
    private final AtomicReference<SyncReport> pending = new AtomicReference<>();
    /** The sync loop's thread only: the last failure an Event was recorded for; null after a success. */
    private String lastFailure;
    /** When the status thread may next take a report (see {@link #MIN_WRITE_INTERVAL}). */
    private volatile long nextDrainNanos = System.nanoTime();

    // The status thread's own state.
    private NodePolicyStatus resource;
    private NodeSyncStatus written;
    private NodeSyncStatus lastSuccess;
    private String lastWriteProblem;
    /** When the status was last written ({@link System#nanoTime()}); 0: never. */
    private volatile long lastWriteNanos;
    private volatile BridgeNetfilter.Verdict dataplane;
    private final Duration beatEvery;
    private final StalePeers peers;

    public StatusReporter(KubernetesClient client, String node, Clock clock) {
        this(client, node, clock, NodeSyncStatus.HEARTBEAT_INTERVAL);
    }

    /**
     * @param heartbeat the longest time between two writes: the heartbeat is refreshed when half of it old, after
     *                  a reconcile, and the controller reconciles at least that often; a peer whose heartbeat has
     *                  not moved for one and a half of it is marked Ready=Unknown ({@link StalePeers})
     */
    public StatusReporter(KubernetesClient client, String node, Clock clock, Duration heartbeat) {
        this.beatEvery = heartbeat.dividedBy(2);
        this.peers = new StalePeers(node, heartbeat.plus(beatEvery));
        this.client = Objects.requireNonNull(client, "client");
        this.node = Objects.requireNonNull(node, "node");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.events = new EventRecorder(client, node, clock);
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "nftpolicy-status");
            t.setDaemon(true);
            return t;
        });
        pool.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.executor = pool;
    }

    @Override
    public void synced(SyncReport report) {
        if (!report.succeeded()) {
            String error = report.error().orElse("");
            if (!error.equals(lastFailure)) {
                lastFailure = error;
                submit(() -> events.applyFailed(report));
            }
        } else {
            lastFailure = null;
        }
        if (pending.getAndSet(report) == null) {
            long wait = nextDrainNanos - System.nanoTime();
            if (wait <= 0) {
                submit(this::drain);
            } else {
                schedule(this::drain, wait);
            }
        }
    }

    private void schedule(Runnable task, long delayNanos) {
        try {
            executor.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("status reporter closed; dropping a report");
        }
    }

    private void submit(Runnable task) {
        try {
            executor.execute(task);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("status reporter closed; dropping a report");
        }
    }

    private void drain() {
        SyncReport report = pending.getAndSet(null);
        if (report == null) {
            return;
        }
        nextDrainNanos = System.nanoTime() + MIN_WRITE_INTERVAL.toNanos();
        try {
            events.invalidPolicies(report);
            events.objectProblems(report);
            NodeSyncStatus status = statusFor(report);
            if (written != null && significant(written).equals(significant(status)) && !heartbeatDue()) {
                return;
            }
            if (write(status)) {
                written = status;
                lastWriteProblem = null;
            } else if (pending.compareAndSet(null, report)) {
                executor.schedule(this::drain, RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (RuntimeException e) {
            LOG.warn("writing the status of node {} failed", node, e);
        }
    }

    /** The status a report gives, the previous one's transition time kept when Ready did not change. */
    NodeSyncStatus statusFor(SyncReport report) {
        List<InvalidPolicy> invalid = report.ruleset().isPresent() ? invalidPolicies(report.diagnostics())
                : Optional.ofNullable(lastSuccess).map(NodeSyncStatus::invalidPolicies).orElse(List.of());
        Optional<Condition> previous = Optional.ofNullable(written).map(NodeSyncStatus::conditions)
                .flatMap(cs -> cs.stream().filter(c -> c.type().equals(Condition.READY)).findFirst());
        long millis = TimeUnit.NANOSECONDS.toMillis(report.durationNanos());
        if (report.succeeded()) {
            Ruleset ruleset = report.ruleset().orElseThrow();
            // Rendering a large ruleset costs tens of milliseconds: when the kernel did not change, neither did
            // the hash of what it holds.
            boolean unchanged = lastSuccess != null && report.result().map(r -> r.operations() == 0).orElse(false);
            String hash = unchanged ? lastSuccess.appliedRulesetHash() : hash(ruleset);
            String appliedAt = lastSuccess != null && hash.equals(lastSuccess.appliedRulesetHash())
                    ? lastSuccess.appliedAt() : Timestamps.rfc3339(report.finishedAt());
            int sets = ruleset.sets().size() + ruleset.maps().size();
            RulesetCounts counts = new RulesetCounts(report.policies(), report.localPods(),
                    ruleset.chains().size(), ruleset.ruleCount(), sets, ruleset.elementCount());
            Condition ready = previous.map(c -> c.update(Condition.TRUE, REASON_SYNCED, "", report.finishedAt()))
                    .orElse(Condition.ready(true, REASON_SYNCED, "", report.finishedAt()));
            lastSuccess = new NodeSyncStatus(hash, appliedAt, counts, millis, null, invalid,
                    objectProblems(report.diagnostics()), conditions(ready), Timestamps.rfc3339(clock.instant()));
            return lastSuccess;
        }
        String error = report.error().orElse("sync failed");
        Condition ready = previous.map(c -> c.update(Condition.FALSE, REASON_SYNC_FAILED, error, report.finishedAt()))
                .orElse(Condition.ready(false, REASON_SYNC_FAILED, error, report.finishedAt()));
        NodeSyncStatus last = lastSuccess;
        return new NodeSyncStatus(last == null ? null : last.appliedRulesetHash(),
                last == null ? null : last.appliedAt(), last == null ? null : last.counts(), millis,
                SyncError.at(report.finishedAt(), error), invalid,
                last == null ? null : last.objectProblems(), conditions(ready), Timestamps.rfc3339(clock.instant()));
    }

    /** Ready as given, and DataplaneReady as last checked (its transition time kept while its status stays). */
    private List<Condition> conditions(Condition ready) {
        BridgeNetfilter.Verdict d = dataplane;
        if (d == null) {
            return List.of(ready);
        }
        String status = d.ready() ? Condition.TRUE : Condition.FALSE;
        Condition dataplaneReady = Optional.ofNullable(written).flatMap(w -> w.condition(Condition.DATAPLANE_READY))
                .map(c -> c.update(status, d.reason(), d.message(), clock.instant()))
                .orElse(Condition.of(Condition.DATAPLANE_READY, status, d.reason(), d.message(), clock.instant()));
        return List.of(ready, dataplaneReady);
    }

    /** The DataplaneReady verdict now (from the controller's thread, after each reconcile). */
    public void dataplane(BridgeNetfilter.Verdict verdict) {
        BridgeNetfilter.Verdict before = dataplane;
        dataplane = verdict;
        // The first verdict too: the first sync's status may have been written before this reconcile ended.
        if (!verdict.equals(before)) {
            submit(this::beat);
        }
    }

    /**
     * After each reconcile (on the controller's thread): refreshes the heartbeat when it is half a heartbeat old,
     * writes the status again when the resource was re-created without one, and marks other nodes whose agents
     * stopped reporting ({@link StalePeers}) Ready=Unknown.
     *
     * @param statuses every node's NodePolicyStatus, as the controller's informer holds them
     */
    public void heartbeat(java.util.function.Supplier<List<NodePolicyStatus>> statuses) {
        List<NodePolicyStatus> all = statuses.get();
        boolean recreated = lastWriteNanos != 0 && all.stream()
                .anyMatch(r -> r.getMetadata().getName().equals(node) && r.getStatus() == null);
        if (recreated || heartbeatDue()) {
            submit(this::beat);
        }
        for (NodePolicyStatus peer : peers.stale(all, System.nanoTime())) {
            submit(() -> markNotReporting(peer));
        }
    }

    private boolean heartbeatDue() {
        return System.nanoTime() - lastWriteNanos - beatEvery.toNanos() >= 0;
    }

    /**
     * On the status thread: Ready=Unknown on another node's status, with the resourceVersion seen: when its agent
     * (or another peer) wrote meanwhile, the API server answers 409 and nothing is written.
     */
    private void markNotReporting(NodePolicyStatus peer) {
        NodeSyncStatus status = peer.getStatus();
        List<Condition> conditions = new java.util.ArrayList<>(status.conditions());
        for (int i = 0; i < conditions.size(); i++) {
            Condition c = conditions.get(i);
            if (c.type().equals(Condition.READY)) {
                conditions.set(i, c.update(Condition.UNKNOWN, REASON_NOT_REPORTING, "no heartbeat from the agent "
                        + "on node " + peer.getMetadata().getName() + " since " + status.heartbeatTime()
                        + " (seen by node " + node + "); the kernel keeps its last ruleset", clock.instant()));
            }
        }
        NodePolicyStatus update = NodePolicyStatus.forNode(peer.getMetadata().getName());
        update.getMetadata().setResourceVersion(peer.getMetadata().getResourceVersion());
        update.setStatus(status.with(conditions, status.heartbeatTime()));
        try {
            client.resources(NodePolicyStatus.class).resource(update).updateStatus();
            LOG.warn("node {}: its agent has not reported since {}: Ready=Unknown", peer.getMetadata().getName(),
                    status.heartbeatTime());
        } catch (KubernetesClientException e) {
            LOG.debug("marking node {} not reporting: {}", peer.getMetadata().getName(), e.getMessage());
        }
    }

    /** On the status thread: the status last written, with the conditions now and a new heartbeat time. */
    private void beat() {
        if (written == null) {
            return;
        }
        Condition ready = written.condition(Condition.READY).orElse(null);
        if (ready == null || ready.reason().equals(REASON_AGENT_STOPPED)) {
            return;
        }
        NodeSyncStatus status = written.with(conditions(ready), Timestamps.rfc3339(clock.instant()));
        if (write(status)) {
            written = status;
        }
    }

    /**
     * Ready=Unknown (AgentStopped), written at once and waited for (up to 5 s): the agent is stopping, the
     * kernel keeps its last ruleset, but nothing follows the cluster until an agent runs again.
     */
    public void stopped() {
        java.util.concurrent.Future<?> done;
        try {
            done = executor.submit(() -> {
                if (written == null) {
                    return;
                }
                Condition ready = written.condition(Condition.READY).orElseThrow().update(Condition.UNKNOWN,
                        REASON_AGENT_STOPPED, "the agent on node " + node + " stopped; the kernel keeps the last "
                                + "applied ruleset, and nothing follows the cluster until an agent runs again",
                        clock.instant());
                List<Condition> conditions = new java.util.ArrayList<>(written.conditions());
                conditions.set(0, ready);
                NodeSyncStatus status = written.with(conditions, Timestamps.rfc3339(clock.instant()));
                if (write(status)) {
                    written = status;
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return;
        }
        try {
            done.get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            LOG.warn("could not say in the status of node {} that the agent stopped: {}", node, e.toString());
        }
    }

    /** What decides whether the status is worth writing: the fields a reader acts on, without times. */
    private static List<Object> significant(NodeSyncStatus s) {
        String error = s.lastError() == null ? null : s.lastError().message();
        List<Object> out = new java.util.ArrayList<>(java.util.Arrays.asList(s.appliedRulesetHash(), s.counts(), error,
                s.invalidPolicies(), s.objectProblems()));
        if (s.conditions() != null) {
            s.conditions().forEach(c -> out.addAll(java.util.Arrays.asList(c.type(), c.status(), c.reason(),
                    c.message())));
        }
        return out;
    }

    private static List<ObjectProblem> objectProblems(List<Diagnostic> diagnostics) {
        return diagnostics.stream()
                .filter(d -> !d.kind().equals("NetworkPolicy"))
                .map(ObjectProblem::of)
                .distinct()
                .sorted(Comparator.comparing(ObjectProblem::kind).thenComparing(ObjectProblem::object)
                        .thenComparing(ObjectProblem::field))
                .limit(NodeSyncStatus.MAX_OBJECT_PROBLEMS)
                .toList();
    }

    private static List<InvalidPolicy> invalidPolicies(List<Diagnostic> diagnostics) {
        return diagnostics.stream()
                .filter(d -> d.kind().equals("NetworkPolicy") && d.object().indexOf('/') > 0)
                .map(InvalidPolicy::of)
                .distinct()
                .sorted(Comparator.comparing(InvalidPolicy::namespace).thenComparing(InvalidPolicy::name)
                        .thenComparing(InvalidPolicy::field))
                .toList();
    }

    /** The first 16 hex digits of the SHA-256 of the ruleset as {@code nftpolicy compile} prints it. */
    public static String hash(Ruleset ruleset) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest(NftRenderer.render(ruleset).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }

    /** Creates the resource if needed and writes its status; false when the API server refused or failed. */
    private boolean write(NodeSyncStatus status) {
        var resources = client.resources(NodePolicyStatus.class);
        KubernetesClientException failure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                if (resource == null) {
                    resource = resources.withName(node).get();
                    if (resource == null) {
                        resource = resources.resource(ownedByTheNode(NodePolicyStatus.forNode(node))).create();
                    }
                }
                Long generation = resource.getMetadata().getGeneration();
                resource.setStatus(status.conditions() == null ? status : status.with(
                        status.conditions().stream().map(c -> c.observing(generation)).toList(),
                        status.heartbeatTime()));
                resource = resources.resource(resource).updateStatus();
                lastWriteNanos = System.nanoTime();
                return true;
            } catch (KubernetesClientException e) {
                resource = null;
                failure = e;
                if (e.getCode() != 409 && e.getCode() != 404) {
                    break;
                }
                // 409: changed by someone else; 404: deleted: read (or create) it again
            }
        }
        String problem = failure.getCode() + " " + failure.getMessage();
        if (!problem.equals(lastWriteProblem)) {
            LOG.warn("cannot write NodePolicyStatus {} (retrying every {} s): {}", node, RETRY_DELAY.toSeconds(),
                    failure.getMessage());
            lastWriteProblem = problem;
        }
        return false;
    }

    /**
     * The owner reference the controller's dependent gives it: the status thread can create the resource first (the
     * dependent is reconciled after the sync step), and a status must not stand without its owner meanwhile.
     */
    private NodePolicyStatus ownedByTheNode(NodePolicyStatus resource) {
        Node owner = client.nodes().withName(node).get();
        if (owner != null) {
            resource.addOwnerReference(owner);
        }
        return resource;
    }

    /** Stops the status thread after the write under way, waiting up to {@code timeout}. */
    public void close(Duration timeout) throws InterruptedException {
        executor.shutdown();
        if (!executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            executor.shutdownNow();
        }
    }

    /** {@link #close(Duration)} with 5 s; an interrupt is kept for the caller. */
    @Override
    public void close() {
        try {
            close(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
