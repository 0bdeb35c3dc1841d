package io.nftpolicy.agent.controller;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.Workflow;
import io.javaoperatorsdk.operator.api.reconciler.dependent.Dependent;
import io.javaoperatorsdk.operator.health.InformerHealthIndicator;
import io.javaoperatorsdk.operator.processing.GroupVersionKind;
import io.javaoperatorsdk.operator.processing.event.EventSourceRetriever;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import io.nftpolicy.agent.cache.ClusterCache;
import io.nftpolicy.agent.cache.ClusterPolicyApi;
import io.nftpolicy.agent.cache.KindWatch;
import io.nftpolicy.agent.sync.SyncLoop;
import io.nftpolicy.crd.NodePolicyStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reconciles this agent's Node: the one primary resource, whatever changed in the cluster. Each kind the compiler
 * reads (Namespaces, Pods, NetworkPolicies; ClusterNetworkPolicies and Nodes when served) is an
 * {@link InformerEventSource} whose mapper sends every change to this node. Its filters are the
 * {@link ClusterCache}'s handlers: they convert the object into the compiler's records and let the event through
 * only when a record changed, so an update the compiler does not read (a pod's status conditions) costs no
 * reconcile. The informers' stores are the cache's reduced ones. A third kind of event comes from
 * {@link #wake}: a relist that found what a watch missed, and a drift found by the drift thread.
 *
 * <p>The ClusterNetworkPolicy CRD may come and go while the agent runs ({@link ClusterCache#useClusterPolicyApi}):
 * this reconciler is the cache's {@link ClusterCache.TierDriver}, and registers or deregisters the two event
 * sources of that tier with JOSDK ({@code EventSourceRetriever#dynamicallyRegisterEventSource}) on a thread of its
 * own, through the controller's event source manager ({@link #useEventSources}). Not in a reconcile: there is none
 * while this node's Node does not exist, and the cache must follow the CRD all the same; and a registration waits
 * for the new informer's first list, which must hold up neither the discovery thread nor a sync.
 *
 * <p>Each reconcile is one {@link SyncLoop#step}; afterwards the dependent NodePolicyStatus is reconciled and
 * {@code afterStep} (the heartbeat) runs: nothing but the step stands between an event and the kernel. The agent
 * writes nothing to the Node: every reconcile returns {@link UpdateControl#noUpdate()}, and this reconciler has
 * no cleaner, so JOSDK adds no finalizer.
 */
// Invoked by reconcile itself, after the step: the status resource is not on the way from an event to the kernel.
@Workflow(explicitInvocation = true, dependents = @Dependent(type = NodePolicyStatusDependent.class))
@ControllerConfiguration(name = NodeReconciler.NAME)
public final class NodeReconciler implements Reconciler<Node>, ClusterCache.TierDriver, AutoCloseable {
    public static final String NAME = "nftpolicy-node";
    private static final Logger LOG = LoggerFactory.getLogger(NodeReconciler.class);

    private final String node;
    private final ResourceID nodeId;
    private final ClusterCache cache;
    private final ClusterPolicyApi clusterPolicyApi;
    private final SyncLoop loop;
    private final Duration listTimeout;
    private final Consumer<Supplier<List<NodePolicyStatus>>> afterStep;
    private final SimpleInboundEventSource<Node> wake = new SimpleInboundEventSource<>("wake");
    /** Tier feeds to register and to deregister at the next reconcile; guarded by this. */
    private final List<ClusterCache.Feed<?>> toRegister = new ArrayList<>();
    private final List<ClusterCache.Feed<?>> toDeregister = new ArrayList<>();
    /** Registers and deregisters the tier's event sources, in the order the cache asked. */
    private final ExecutorService registrar = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "nftpolicy-tier-sources");
        t.setDaemon(true);
        return t;
    });
    private volatile EventSourceRetriever<Node> eventSources;

    /**
     * @param clusterPolicyApi where ClusterNetworkPolicy is served at start; null: not served (no such event
     *                         sources until {@link ClusterCache#useClusterPolicyApi} says it is)
     * @param afterStep        after every step, with every node's NodePolicyStatus as the dependent resource's
     *                         informer holds them (heartbeat, status checks, stale peers)
     */
    public NodeReconciler(String node, ClusterCache cache, ClusterPolicyApi clusterPolicyApi, SyncLoop loop,
                          Duration listTimeout, Consumer<Supplier<List<NodePolicyStatus>>> afterStep) {
        this.node = Objects.requireNonNull(node, "node");
        this.nodeId = new ResourceID(node);
        this.cache = Objects.requireNonNull(cache, "cache");
        this.clusterPolicyApi = clusterPolicyApi;
        this.loop = Objects.requireNonNull(loop, "loop");
        this.listTimeout = Objects.requireNonNull(listTimeout, "listTimeout");
        this.afterStep = Objects.requireNonNull(afterStep, "afterStep");
    }

    /** Asks for a reconcile of this node soon (thread-safe). */
    public void wake() {
        wake.propagateEvent(nodeId);
    }

    @Override
    public List<EventSource<?, Node>> prepareEventSources(EventSourceContext<Node> context) {
        List<EventSource<?, Node>> sources = new ArrayList<>();
        for (ClusterCache.Feed<?> feed : cache.feeds(clusterPolicyApi, this)) {
            sources.add(eventSource(feed, context));
        }
        sources.add(wake);
        return sources;
    }

    private <T extends HasMetadata> InformerEventSource<T, Node> eventSource(ClusterCache.Feed<T> feed,
                                                                             EventSourceContext<Node> context) {
        @SuppressWarnings("unchecked")
        InformerEventSourceConfiguration.Builder<T> builder = feed.type() == GenericKubernetesResource.class
                ? (InformerEventSourceConfiguration.Builder<T>) InformerEventSourceConfiguration.from(
                        new GroupVersionKind(ClusterPolicyApi.GROUP, feed.servedBy().orElseThrow().version(),
                                ClusterPolicyApi.KIND),
                        Node.class)
                : InformerEventSourceConfiguration.from(feed.type(), Node.class);
        InformerEventSourceConfiguration<T> config = builder
                .withName(feed.kind())
                .withWatchAllNamespaces()
                .withSecondaryToPrimaryMapper(object -> Set.of(nodeId))
                // Nothing reads secondaries through JOSDK: no primary-to-secondary index to keep.
                .withPrimaryToSecondaryMapper(primary -> Set.of())
                .withItemStore(feed.itemStore(context.getClient().getKubernetesSerialization()))
                .withOnAddFilter(feed::added)
                .withOnUpdateFilter((updated, old) -> feed.added(updated))
                .withOnDeleteFilter((deleted, finalStateUnknown) -> feed.deleted(deleted))
                .build();
        InformerEventSource<T, Node> source = new InformerEventSource<>(config, context);
        feed.watchedBy(new KindWatch() {
            @Override
            public boolean hasSynced() {
                return source.informerHealthIndicators().values().stream().allMatch(InformerHealthIndicator::hasSynced);
            }

            @Override
            public boolean isWatching() {
                return source.informerHealthIndicators().values().stream()
                        .allMatch(InformerHealthIndicator::isWatching);
            }

            @Override
            public Set<String> keys() {
                Set<String> keys = new java.util.HashSet<>();
                source.keys().forEach(id -> keys.add(id.getNamespace().map(ns -> ns + "/" + id.getName())
                        .orElse(id.getName())));
                return keys;
            }

            @Override
            public List<? extends HasMetadata> stored() {
                return source.list(o -> true).toList();
            }
        });
        return source;
    }

    /**
     * The registered controller's event sources ({@code Controller#getEventSourceManager}), where the tier feeds
     * that {@link ClusterCache#useClusterPolicyApi} starts and stops from now on are registered and deregistered.
     */
    public void useEventSources(EventSourceRetriever<Node> retriever) {
        eventSources = Objects.requireNonNull(retriever, "retriever");
        registerSoon();
    }

    @Override
    public synchronized void start(List<ClusterCache.Feed<?>> feeds) {
        toRegister.addAll(feeds);
        registerSoon();
    }

    @Override
    public synchronized void stop(List<ClusterCache.Feed<?>> feeds) {
        for (ClusterCache.Feed<?> feed : feeds) {
            if (!toRegister.remove(feed)) { // registered already (a feed not yet registered is simply forgotten)
                toDeregister.add(feed);
            }
        }
        registerSoon();
    }

    private void registerSoon() {
        if (!registrar.isShutdown()) {
            registrar.execute(this::registerTierFeeds);
        }
    }

    /**
     * On the registrar's thread: brings JOSDK's event sources to the tier feeds the cache now has (the retired go
     * first: names repeat), then asks for a reconcile, which compiles without or with them.
     */
    private void registerTierFeeds() {
        EventSourceRetriever<Node> retriever = eventSources;
        if (retriever == null) {
            return; // useEventSources takes what was asked meanwhile
        }
        List<ClusterCache.Feed<?>> stop;
        List<ClusterCache.Feed<?>> start;
        synchronized (this) {
            stop = List.copyOf(toDeregister);
            start = List.copyOf(toRegister);
            toDeregister.clear();
            toRegister.clear();
        }
        if (stop.isEmpty() && start.isEmpty()) {
            return;
        }
        try {
            stop.forEach(feed -> retriever.dynamicallyDeRegisterEventSource(feed.kind()));
            for (ClusterCache.Feed<?> feed : start) {
                retriever.dynamicallyRegisterEventSource(
                        eventSource(feed, retriever.eventSourceContextForDynamicRegistration()));
            }
        } catch (RuntimeException e) {
            LOG.warn("node {}: (de)registering the {} event sources failed: {}", node,
                    start.isEmpty() ? stop.stream().map(ClusterCache.Feed::kind).toList()
                            : start.stream().map(ClusterCache.Feed::kind).toList(), e.toString(), e);
        }
        wake();
    }

    /** Stops registering event sources (after the operator stopped). */
    @Override
    public void close() {
        registrar.shutdownNow();
    }

    @Override
    public UpdateControl<Node> reconcile(Node resource, Context<Node> context) throws Exception {
        if (!resource.getMetadata().getName().equals(node)) {
            return UpdateControl.noUpdate(); // the primary informer is this node's alone; never another's
        }
        // The informers have listed; their handlers may still be taking the list in (see ClusterCache).
        cache.awaitListed(listTimeout);
        Duration next;
        try {
            next = loop.step(context.getRetryInfo().isPresent());
        } catch (RuntimeException e) {
            reconcileStatusResource(context, e);
            throw e;
        }
        reconcileStatusResource(context, null);
        afterStep.accept(() -> context.eventSourceRetriever().getEventSourceFor(NodePolicyStatus.class)
                instanceof InformerEventSource<NodePolicyStatus, Node> statuses
                ? statuses.list(s -> true).toList() : List.of());
        return UpdateControl.<Node>noUpdate().rescheduleAfter(next);
    }

    /**
     * The dependent NodePolicyStatus (created when absent), after the kernel was written: JOSDK would reconcile it
     * before {@link #reconcile}, in front of every sync. After a failed step as well, so that the status can say so.
     *
     * @param failed the step's exception, which stays the one thrown; a failure here is added to it
     */
    private static void reconcileStatusResource(Context<Node> context, RuntimeException failed) {
        try {
            context.managedWorkflowAndDependentResourceContext().reconcileManagedWorkflow();
        } catch (RuntimeException e) {
            if (failed == null) {
                throw e;
            }
            failed.addSuppressed(e);
        }
    }
}
