package io.nftpolicy.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.ControllerConfigurationOverrider;
import io.javaoperatorsdk.operator.api.config.informer.FieldSelector;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.javaoperatorsdk.operator.processing.Controller;
import io.javaoperatorsdk.operator.processing.event.rate.LinearRateLimiter;
import io.nftpolicy.agent.cache.ChangeListener;
import io.nftpolicy.agent.cache.ClusterCache;
import io.nftpolicy.agent.cache.ClusterPolicyApi;
import io.nftpolicy.agent.controller.NodeReconciler;
import io.nftpolicy.agent.drops.DropLogWriter;
import io.nftpolicy.agent.reporting.BridgeNetfilter;
import io.nftpolicy.agent.sync.Backoff;
import io.nftpolicy.agent.metrics.AgentMetrics;
import io.nftpolicy.agent.metrics.HealthServer;
import io.nftpolicy.agent.metrics.PolicyCounterMetrics;
import io.nftpolicy.agent.reporting.StatusReporter;
import io.nftpolicy.agent.sync.SyncLoop;
import io.nftpolicy.agent.sync.SyncObserver;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.DropLogs;
import io.nftpolicy.crd.NodeSyncStatus;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.FailClosed;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.compile.RuleCounters;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.snapshot.SnapshotConverter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-node agent, wired: a Java Operator SDK controller ({@link NodeReconciler}) whose primary resource is this
 * node's Node, whose event sources feed the {@link ClusterCache}, and whose every reconcile is one
 * {@link SyncLoop#step} that compiles this node's ruleset and applies it through the backend; the
 * {@link StatusReporter} and {@link AgentMetrics} watch the steps; {@link HealthServer} serves /metrics (JOSDK's
 * reconciliation metrics included), /healthz and /readyz.
 *
 * <p>Lifecycle: {@link #start()} opens the HTTP port (so the probes answer while it starts), starts the controller
 * (its informers list the cluster), and returns once the cache holds the whole cluster; the first reconcile reads
 * the kernel's table back and sends only the difference: after a restart, the rules the previous agent left keep
 * filtering throughout. {@link #close()} says Ready=Unknown (AgentStopped) in the status, stops the controller and
 * leaves the kernel's table as it is.
 *
 * <p>The client and the executor belong to the caller, who closes them after the agent.
 */
public final class Agent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);

    /**
     * @param node             the node whose pods this agent enforces (the NodePolicyStatus is named after it)
     * @param metricsAddress   where /metrics, /healthz and /readyz listen (port 0: any free port)
     * @param loop             the sync loop's timing
     * @param cacheSyncTimeout how long {@link #start()} waits for the first list of every kind (and, in
     *                         fail-closed mode, for the Node's pod CIDRs)
     * @param failClosed       fail-closed mode ({@link FailClosed}): addresses of the node's pod CIDRs that are not
     *                         known pods are isolated
     * @param podCidrs         the pod CIDRs for fail-closed mode; empty: read from the Node's spec.podCIDRs
     * @param relistInterval   how often the cache lists every kind again to find deletions its watches missed
     *                         ({@link ClusterCache}); zero: only when a watch is seen reconnecting
     * @param keepEstablished  let connections run on after a change denies them; by default each flow is judged
     *                         again by the new rules ({@link EstablishedFlows})
     * @param dropLog          which drops the table logs, and whether the agent writes them ({@link DropLog})
     * @param bridgeSysctls    where the bridge's netfilter sysctls are read (DataplaneReady)
     * @param heartbeat        the longest time between two status writes
     */
    public record Config(String node, InetSocketAddress metricsAddress, SyncLoop.Options loop,
                         Duration cacheSyncTimeout, boolean failClosed, List<IpRange> podCidrs,
                         Duration relistInterval, boolean keepEstablished, DropLog dropLog,
                         java.nio.file.Path bridgeSysctls, Duration heartbeat) {
        public static final int DEFAULT_METRICS_PORT = 9402;

        public Config {
            Objects.requireNonNull(node, "node");
            if (node.isBlank()) {
                throw new IllegalArgumentException("node name is empty");
            }
            Objects.requireNonNull(metricsAddress, "metricsAddress");
            Objects.requireNonNull(loop, "loop");
            Objects.requireNonNull(cacheSyncTimeout, "cacheSyncTimeout");
            podCidrs = List.copyOf(podCidrs);
            Objects.requireNonNull(relistInterval, "relistInterval");
            if (relistInterval.isNegative()) {
                throw new IllegalArgumentException("relistInterval must not be negative: " + relistInterval);
            }
            if (!failClosed && !podCidrs.isEmpty()) {
                throw new IllegalArgumentException("pod CIDRs are for fail-closed mode only");
            }
            Objects.requireNonNull(dropLog, "dropLog");
            Objects.requireNonNull(bridgeSysctls, "bridgeSysctls");
            Objects.requireNonNull(heartbeat, "heartbeat");
            if (heartbeat.toMillis() < 2) {
                throw new IllegalArgumentException("heartbeat must be at least 2 ms: " + heartbeat);
            }
        }

        /** Where the bridge's netfilter sysctls are read (DataplaneReady); a directory of test files in tests. */
        public Config withBridgeSysctls(java.nio.file.Path dir) {
            return new Config(node, metricsAddress, loop, cacheSyncTimeout, failClosed, podCidrs, relistInterval,
                    keepEstablished, dropLog, dir, heartbeat);
        }

        /**
         * The longest time between two status writes ({@link NodeSyncStatus#HEARTBEAT_INTERVAL}; shorter in
         * tests). A peer whose heartbeat has not moved for one and a half of them is marked Ready=Unknown.
         */
        public Config withHeartbeat(Duration interval) {
            return new Config(node, metricsAddress, loop, cacheSyncTimeout, failClosed, podCidrs, relistInterval,
                    keepEstablished, dropLog, bridgeSysctls, interval);
        }

        /** Defaults: port 9402 on every address, the loop's defaults, 5 minutes to list the cluster, open mode. */
        public static Config forNode(String node) {
            return new Config(node, new InetSocketAddress(DEFAULT_METRICS_PORT), SyncLoop.Options.defaults(),
                    Duration.ofMinutes(5), false, List.of(), ClusterCache.DEFAULT_RELIST_INTERVAL, false,
                    DropLog.defaults(), BridgeNetfilter.PROC_SYS_NET_BRIDGE, NodeSyncStatus.HEARTBEAT_INTERVAL);
        }

        public Config withMetricsAddress(InetSocketAddress address) {
            return new Config(node, address, loop, cacheSyncTimeout, failClosed, podCidrs, relistInterval, keepEstablished, dropLog, bridgeSysctls, heartbeat);
        }

        public Config withLoop(SyncLoop.Options options) {
            return new Config(node, metricsAddress, options, cacheSyncTimeout, failClosed, podCidrs, relistInterval, keepEstablished, dropLog, bridgeSysctls, heartbeat);
        }

        /** Fail-closed mode with these pod CIDRs, or with the Node's when {@code cidrs} is empty. */
        public Config withFailClosed(List<IpRange> cidrs) {
            return new Config(node, metricsAddress, loop, cacheSyncTimeout, true, cidrs, relistInterval, keepEstablished, dropLog, bridgeSysctls, heartbeat);
        }

        public Config withKeepEstablished(boolean keep) {
            return new Config(node, metricsAddress, loop, cacheSyncTimeout, failClosed, podCidrs, relistInterval, keep, dropLog, bridgeSysctls, heartbeat);
        }

        public Config withDropLog(DropLog log) {
            return new Config(node, metricsAddress, loop, cacheSyncTimeout, failClosed, podCidrs, relistInterval,
                    keepEstablished, log, bridgeSysctls, heartbeat);
        }

        public Config withRelistInterval(Duration interval) {
            return new Config(node, metricsAddress, loop, cacheSyncTimeout, failClosed, podCidrs, interval, keepEstablished, dropLog, bridgeSysctls, heartbeat);
        }
    }

    /**
     * Drop logs: the drops of annotated namespaces' pods are always logged to the NFLOG group, those of every pod
     * with {@code options.everywhere()}; the agent writes them to logger {@value DropLogWriter#LOGGER} unless
     * {@code write} is false (which leaves the group to {@code nftpolicy drops}).
     *
     * @param netns the network namespace of the table (the agent's {@code --netns}), null for the agent's own
     */
    public record DropLog(DropLogs.Options options, boolean write, String netns) {
        public DropLog {
            Objects.requireNonNull(options, "options");
        }

        public static DropLog defaults() {
            return new DropLog(DropLogs.Options.defaults(false), true, null);
        }
    }

    private final Config config;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ClusterCache cache;
    private final KubernetesClient client;
    /** Set by {@link #start()} in fail-closed mode, before the worker starts; read by the worker only. */
    private volatile FailClosed failClosed;
    private final SyncLoop loop;
    /** null: drop logs are left to 'nftpolicy drops'. */
    private final DropLogWriter dropLogWriter;
    private final StatusReporter status;
    private final AgentMetrics metrics;
    private final BridgeNetfilter bridge;
    private HealthServer http;
    private Operator operator;
    private NodeReconciler reconciler;
    private volatile boolean started;
    private ClusterPolicySupport.Options clusterPolicyOptions = ClusterPolicySupport.Options.defaults();
    private ClusterPolicySupport clusterPolicySupport;

    public Agent(Config config, KubernetesClient client, NftExecutor executor) {
        this(config, client, executor, Clock.systemUTC());
    }

    public Agent(Config config, KubernetesClient client, NftExecutor executor, Clock clock) {
        this(config, client, executor, null, clock);
    }

    /**
     * @param driftReader a second executor on the same table (its own libnftables context), for drift checks off
     *                    the sync loop's thread; null: the checks run on the sync loop's thread and hold it
     */
    public Agent(Config config, KubernetesClient client, NftExecutor executor, NftExecutor driftReader, Clock clock) {
        this.config = Objects.requireNonNull(config, "config");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(executor, "executor");
        SyncLoop[] loopRef = new SyncLoop[1];
        this.cache = new ClusterCache(client, new SnapshotConverter(), new ChangeListener() {
            @Override
            public void changed(String kind, String key, long receivedNanos) {
                loopRef[0].changed(receivedNanos);
            }

            @Override
            public void relisted(String kind, int changes) {
                NodeReconciler r = reconciler;
                if (r != null) {
                    r.wake();
                }
            }
        }, config.relistInterval());
        this.client = client;
        IncrementalCompiler compiler = new IncrementalCompiler(config.node());
        EstablishedFlows established = config.keepEstablished() ? null : new EstablishedFlows();
        DropLogs dropLogs = new DropLogs(config.dropLog().options());
        RuleCounters counters = new RuleCounters();
        this.dropLogWriter = config.dropLog().write() ? new DropLogWriter(config.node(), config.dropLog().netns(),
                config.dropLog().options().group(), clock) : null;
        this.loop = new SyncLoop(config.node(), cache::snapshot, snapshot -> {
            FailClosed f = failClosed;
            Compilation c = f == null ? compiler.compile(snapshot) : f.apply(compiler.compile(snapshot), snapshot);
            c = new Compilation(dropLogs.apply(c.ruleset(), snapshot), c.diagnostics());
            if (dropLogWriter != null) {
                dropLogWriter.compiled(c.ruleset(), snapshot);
            }
            c = established == null ? c : new Compilation(established.apply(c.ruleset()), c.diagnostics());
            // After the drop logs: their jump goes before the isolation drop, and so before its counting drops.
            return new Compilation(counters.apply(c.ruleset()), c.diagnostics());
        }, new RulesetApplier(executor), driftReader, config.loop(), clock);
        loopRef[0] = loop;
        this.status = new StatusReporter(client, config.node(), clock, config.heartbeat());
        this.bridge = new BridgeNetfilter(config.bridgeSysctls(), registry);
        this.metrics = new AgentMetrics(registry);
        loop.addObserver(metrics);
        loop.addObserver(new PolicyCounterMetrics(registry, driftReader != null ? driftReader : executor));
        loop.addObserver(status);
    }

    /** Adds an observer of the sync loop (before {@link #start()}). */
    public void addObserver(SyncObserver observer) {
        loop.addObserver(observer);
    }

    /** How the ClusterNetworkPolicy CRD is followed and its conditions written (before {@link #start()}). */
    public void useClusterPolicyOptions(ClusterPolicySupport.Options options) {
        clusterPolicyOptions = Objects.requireNonNull(options, "options");
    }

    /** The ClusterNetworkPolicy CRD's follower and condition writer (after {@link #start()}). */
    public ClusterPolicySupport clusterPolicySupport() {
        return clusterPolicySupport;
    }

    /**
     * Serves the probes, lists the cluster and starts syncing; returns once the worker runs (its first sync
     * follows at once, see {@link #ready()}).
     *
     * @throws IOException      when the metrics port cannot be bound
     * @throws TimeoutException when the cluster could not be listed within {@link Config#cacheSyncTimeout()}
     */
    public void start() throws IOException, TimeoutException, InterruptedException {
        http = new HealthServer(config.metricsAddress(), registry, this::healthy, this::ready);
        LOG.info("node {}: serving /metrics, /healthz, /readyz on port {}; listing the cluster", config.node(),
                http.port());
        if (config.failClosed()) {
            List<IpRange> cidrs = config.podCidrs().isEmpty() ? NodePodCidrs.await(client, config.node(),
                    config.cacheSyncTimeout()) : config.podCidrs();
            failClosed = new FailClosed(config.node(), cidrs);
            LOG.info("node {}: fail-closed mode: addresses of {} that are not known pods are isolated", config.node(),
                    cidrs.stream().map(IpRange::toNft).toList());
        }
        ClusterPolicyApi api = cache.discoverClusterPolicies(config.cacheSyncTimeout());
        if (client.nodes().withName(config.node()).get() == null) {
            LOG.warn("node {}: there is no Node of this name: nothing is enforced until it exists (the agent "
                    + "reconciles its own Node)", config.node());
        }
        reconciler = new NodeReconciler(config.node(), cache, api, loop, config.cacheSyncTimeout(), statuses -> {
            status.dataplane(bridge.check());
            status.heartbeat(statuses);
        });
        operator = new Operator(o -> o.withKubernetesClient(client)
                .withCloseClientOnStop(false)
                .checkingCRDAndValidateLocalModel(false)
                // libnftables: one context, used from one thread; and one primary anyway.
                .withConcurrentReconciliationThreads(1)
                .withConcurrentWorkflowExecutorThreads(1)
                .withCacheSyncTimeout(config.cacheSyncTimeout())
                .withMetrics(MicrometerMetrics.newMicrometerMetricsBuilder(registry)
                        .notCollectingMetricsPerResource().build())
                // fabric8's mock API server refuses server-side apply (HTTP 415); one writer per object needs none.
                .withUseSSAToPatchPrimaryResource(false)
                .withSSABasedCreateUpdateMatchForDependentResources(false)
                .withPreviousAnnotationForDependentResources(false));
        Duration beat = config.heartbeat().dividedBy(2);
        Duration maxInterval = config.loop().driftInterval().compareTo(beat) < 0 ? config.loop().driftInterval() : beat;
        var registered = operator.register(reconciler, (ControllerConfigurationOverrider<Node> o) -> {
            o.withRetry(Backoff.of(config.loop()))
                    .withRateLimiter(LinearRateLimiter.deactivatedRateLimiter())
                    .withReconciliationMaxInterval(maxInterval)
                    .withGenerationAware(false)
                    .withGenericFilter(n -> config.node().equals(n.getMetadata().getName()));
            restrictToName(o, config.node());
        });
        // Operator#register hands back the Controller itself: its event sources, for the tier feeds' registration.
        reconciler.useEventSources(((Controller<Node>) registered).getEventSourceManager());
        loop.start(reconciler::wake);
        operator.start();
        cache.awaitListed(config.cacheSyncTimeout());
        int[] sizes = cache.sizes();
        LOG.info("listed {} namespaces, {} pods, {} networkpolicies{}; syncing", sizes[0], sizes[1], sizes[2],
                cache.clusterPolicyApi().isEmpty() ? ""
                        : ", " + sizes[3] + " clusternetworkpolicies, " + sizes[4] + " nodes");
        clusterPolicySupport = new ClusterPolicySupport(client, cache, config.node(), clusterPolicyOptions,
                Clock.systemUTC());
        clusterPolicySupport.start();
        started = true;
    }

    /**
     * The Node informer lists and watches this node alone (field selector metadata.name). JOSDK 5.2.3's
     * ControllerConfigurationOverrider has no field selector setter (its informer builder has one, and the
     * annotation takes only constants), so it is reached here; without it the informer would hold every Node of
     * the cluster, and the generic filter by name keeps the reconciles right all the same.
     */
    private static void restrictToName(ControllerConfigurationOverrider<Node> o, String node) {
        try {
            java.lang.reflect.Field f = ControllerConfigurationOverrider.class.getDeclaredField("config");
            f.setAccessible(true);
            @SuppressWarnings("unchecked")
            InformerConfiguration<Node>.Builder builder = (InformerConfiguration<Node>.Builder) f.get(o);
            builder.withFieldSelector(new FieldSelector(new FieldSelector.Field("metadata.name", node)));
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("cannot restrict the Node informer to node {} (it watches every Node): {}", node, e.toString());
        }
    }

    /** Alive: starting, or the worker running and not stuck. */
    public boolean healthy() {
        return !started || loop.healthy();
    }

    /** Ready: the node's ruleset has been applied once. */
    public boolean ready() {
        return loop.hasSynced();
    }

    /** The port of /metrics, /healthz and /readyz (after {@link #start()}). */
    public int metricsPort() {
        return http.port();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public ClusterCache cache() {
        return cache;
    }

    /**
     * Stops following the ClusterNetworkPolicy CRD (and gives up the Lease), says Ready=Unknown (AgentStopped) in
     * the status, stops the controller (its informers, and reconciles after
     * the one under way), then the drift thread, the status thread and the HTTP server. The kernel's table stays:
     * it keeps enforcing the last applied ruleset until the next agent takes over.
     */
    @Override
    public void close() {
        if (clusterPolicySupport != null) {
            clusterPolicySupport.close();
        }
        try {
            if (operator != null) {
                operator.stop();
            }
        } finally {
            if (reconciler != null) {
                reconciler.close();
            }
            try {
                loop.close();
                cache.close();
                if (started) {
                    status.stopped();
                }
            } finally {
                try {
                    status.close();
                    if (dropLogWriter != null) {
                        dropLogWriter.close();
                    }
                } finally {
                    if (http != null) {
                        http.close();
                    }
                    metrics.close();
                    registry.close();
                }
            }
        }
    }
}
