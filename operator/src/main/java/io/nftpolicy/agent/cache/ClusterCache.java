package io.nftpolicy.agent.cache;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.ReducedStateItemStore;
import io.nftpolicy.agent.RateLimitedLog;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Node;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.snapshot.SnapshotConverter;
import io.nftpolicy.snapshot.TierObjectReader;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the compiler reads of the cluster, kept current by three cluster-wide informers (Namespaces, Pods,
 * networking.k8s.io/v1 NetworkPolicies), and two more when the API server serves ClusterNetworkPolicy
 * ({@link ClusterPolicyApi}): ClusterNetworkPolicies, and Nodes (whose addresses their {@code nodes} peers match).
 * Without that CRD the cache says so once in the log and holds none of either; the CRD installed or removed later is
 * followed through {@link #useClusterPolicyApi} ({@link ClusterPolicyApiWatch} asks discovery again), whose two
 * feeds come and go through a {@link TierDriver}.
 *
 * <p>Memory. Each object is converted on arrival ({@link SnapshotConverter}) into the compiler's records, and only
 * those are kept, in maps keyed by namespace/name. The informers' own stores are {@link ReducedStateItemStore}s that
 * hold the key and resourceVersion of each object and nothing else: enough for the informer to tell deletions
 * apart on a relist, which is all it needs them for. Pods are watched whatever their node: every pod can be a
 * peer, and the compiler picks this node's pods itself (the API's field selector on spec.nodeName would not do).
 *
 * <p>Events. An add, update or delete that changes a record is passed to the {@link ChangeListener} with the time
 * it arrived. An update that changes nothing the compiler reads (a pod's status conditions, an annotation other than nftpolicy.io/staged) is
 * dropped here, so it never costs a sync.
 *
 * <p>Relists. A kind is listed again when its watch is seen back after a break, and every relist interval, to take
 * in what a broken watch missed ({@link Feed}).
 *
 * <p>Thread-safe: the informers write from their threads, {@link #snapshot()} reads from any thread. A snapshot is
 * taken while events may still arrive; a change it misses has notified the listener, which syncs again.
 */
public final class ClusterCache implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterCache.class);
    /** While the API server is away, a failure is logged at most this often. */
    private static final Duration FAILURE_LOG_INTERVAL = Duration.ofSeconds(30);

    private final KubernetesClient client;
    private final SnapshotConverter converter;
    private final ChangeListener listener;
    private final Map<String, Namespace> namespaces = new ConcurrentHashMap<>();
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    /** Pods whose conversion dropped something; absent for the (usual) pods that converted whole. */
    private final Map<String, List<Diagnostic>> podDiagnostics = new ConcurrentHashMap<>();
    /** What was wrong with each namespace as read (labels the API server would refuse), by name. */
    private final Map<String, List<Diagnostic>> namespaceDiagnostics = new ConcurrentHashMap<>();
    private final Map<String, PolicyEntry> policies = new ConcurrentHashMap<>();
    private final Map<String, ClusterNetworkPolicy> clusterPolicies = new ConcurrentHashMap<>();
    private final Map<String, Node> nodes = new ConcurrentHashMap<>();
    /** Where ClusterNetworkPolicy is served, found by {@link #start}; null: not installed (or not started). */
    private volatile ClusterPolicyApi clusterPolicyApi;
    // Copy-on-write: the ClusterNetworkPolicy and Node feeds come and go with their CRD (useClusterPolicyApi) while
    // the relist thread and readers iterate.
    private final List<SharedIndexInformer<?>> informers = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The ClusterNetworkPolicy and Node feeds now running; null: none. */
    private TierWatch tierWatch;
    /** Who starts and stops the tier's feeds: this cache's own informers, or the agent's controller. */
    private TierDriver tierDriver;
    /** After {@link #close()}: a late {@link #useClusterPolicyApi} starts nothing. */
    private boolean closed;
    private volatile boolean synced;
    // What the previous snapshot was taken from: a change counter per kind, bumped after the record changed.
    private final AtomicLong namespaceVersion = new AtomicLong();
    private final AtomicLong podVersion = new AtomicLong();
    private final AtomicLong policyVersion = new AtomicLong();
    private final AtomicLong clusterPolicyVersion = new AtomicLong();
    private final AtomicLong nodeVersion = new AtomicLong();
    private CacheSnapshot last;
    private long[] lastVersions;
    // Keys the handlers changed since the kind's last relist began (a relist never removes those).
    private final Set<String> namespacesTouched = ConcurrentHashMap.newKeySet();
    private final Set<String> podsTouched = ConcurrentHashMap.newKeySet();
    private final Set<String> policiesTouched = ConcurrentHashMap.newKeySet();
    private final Set<String> clusterPoliciesTouched = ConcurrentHashMap.newKeySet();
    private final Set<String> nodesTouched = ConcurrentHashMap.newKeySet();
    private final List<Feed<?>> kinds = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Duration relistInterval;
    private java.util.concurrent.ScheduledExecutorService relister;
    private final RateLimitedLog relistFailures = new RateLimitedLog(LOG, FAILURE_LOG_INTERVAL);
    /** Pod and policy records per namespace: which namespaces the snapshot needs, without a scan of every pod. */
    private final Map<String, Integer> namespaceUses = new ConcurrentHashMap<>();
    /** Label-less namespaces standing in for ones not yet arrived, kept so that they stay the same instances. */
    private final Map<String, Namespace> placeholders = new HashMap<>();

    private record PolicyEntry(NetworkPolicy policy, PolicyRef ref) {}

    /** With relists after every watch reconnection and every {@link #DEFAULT_RELIST_INTERVAL}. */
    public ClusterCache(KubernetesClient client, SnapshotConverter converter, ChangeListener listener) {
        this(client, converter, listener, DEFAULT_RELIST_INTERVAL);
    }

    /**
     * @param relistInterval how often every kind is listed again to find deletions the watches missed (see
     *                       {@link #relist}); zero: only after a watch reconnection
     */
    public ClusterCache(KubernetesClient client, SnapshotConverter converter, ChangeListener listener,
                        Duration relistInterval) {
        this.client = Objects.requireNonNull(client, "client");
        this.converter = Objects.requireNonNull(converter, "converter");
        this.listener = Objects.requireNonNull(listener, "listener");
        this.relistInterval = Objects.requireNonNull(relistInterval, "relistInterval");
    }

    /** Default period of the safety-net relist. */
    public static final Duration DEFAULT_RELIST_INTERVAL = Duration.ofMinutes(30);
    /** How often the watches' state is looked at, to relist a kind once its watch is back. */
    static final Duration WATCH_CHECK_INTERVAL = Duration.ofMillis(500);

    /**
     * Starts the informers and waits until each has listed its objects once, so that the first snapshot is the
     * whole cluster: compiling a partial one (policies without their pods) would take allowances away.
     *
     * @throws TimeoutException when the API server has not answered every list within {@code timeout}; the
     *                          informers keep trying until {@link #close()}
     */
    public synchronized void start(Duration timeout) throws TimeoutException, InterruptedException {
        if (!informers.isEmpty() || !kinds.isEmpty()) {
            throw new IllegalStateException("already started");
        }
        List<Feed<?>> feeds = feeds(discoverClusterPolicies(timeout), new TierDriver() {
            @Override
            public void start(List<Feed<?>> tier) {
                tier.forEach(feed -> ownInformer(feed).start());
            }

            @Override
            public void stop(List<Feed<?>> tier) {
                tier.forEach(feed -> {
                    informers.remove(feed.ownInformer);
                    feed.ownInformer.stop();
                });
            }
        });
        List<CompletableFuture<Void>> started = new ArrayList<>();
        for (Feed<?> feed : feeds) {
            started.add(ownInformer(feed).start().toCompletableFuture());
        }
        try {
            CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("an informer failed to start: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            TimeoutException t = new TimeoutException("the API server did not list namespaces, pods and "
                    + "networkpolicies within " + timeout.toSeconds() + " s");
            t.initCause(e);
            throw t;
        }
        awaitListed(timeout);
    }

    /** An informer of this cache's own for {@code feed} (when no controller framework runs the informers). */
    private <T extends HasMetadata> SharedIndexInformer<T> ownInformer(Feed<T> feed) {
        SharedIndexInformer<T> informer = feed.informer.get();
        informer.itemStore(feed.itemStore(client.getKubernetesSerialization()));
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                feed.added(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                feed.added(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                feed.deleted(obj);
            }
        });
        // The namespace index would map every namespace to its keys: nothing here looks objects up by it.
        informer.removeNamespaceIndex();
        RateLimitedLog failures = new RateLimitedLog(LOG, FAILURE_LOG_INTERVAL);
        informer.exceptionHandler((isStarted, t) -> {
            failures.warn("watching {} failed, retrying: {}", feed.kind, t.toString());
            return true;
        });
        feed.watchedBy(KindWatch.of(informer));
        feed.ownInformer = informer;
        informers.add(informer);
        return informer;
    }

    /**
     * What feeds the records, one per kind: Namespaces, Pods, NetworkPolicies, and ClusterNetworkPolicies and Nodes
     * when {@code api} is present. Whoever runs the informers (this cache's {@link #start}, or the agent's
     * controller) gives each feed its events and its {@link KindWatch}, then calls {@link #awaitListed}; and, as
     * {@code tier}, starts and stops the ClusterNetworkPolicy and Node feeds that {@link #useClusterPolicyApi} makes
     * and retires later.
     */
    public synchronized List<Feed<?>> feeds(ClusterPolicyApi api, TierDriver tier) {
        if (!kinds.isEmpty()) {
            throw new IllegalStateException("feeds already made");
        }
        tierDriver = Objects.requireNonNull(tier, "tier");
        clusterPolicyApi = api;
        List<Feed<?>> feeds = new ArrayList<>();
        feeds.add(new Feed<>("Namespace", io.fabric8.kubernetes.api.model.Namespace.class, namespaces,
                namespacesTouched, namespaceVersion, () -> client.namespaces().list().getItems(),
                o -> meta(o).getName(), this::putNamespace, this::removeNamespace,
                () -> client.namespaces().runnableInformer(0)));
        // The uid too: a delete the informer finds on a relist hands over what its store kept, and the delete of an
        // earlier pod of the name must not remove the later one (removePod).
        feeds.add(new Feed<>("Pod", io.fabric8.kubernetes.api.model.Pod.class, pods, podsTouched, podVersion,
                () -> client.pods().inAnyNamespace().list().getItems(), ClusterCache::key, this::putPod,
                this::removePod, () -> client.pods().inAnyNamespace().runnableInformer(0), "metadata.uid"));
        feeds.add(new Feed<>("NetworkPolicy", io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class,
                policies, policiesTouched, policyVersion,
                () -> client.network().v1().networkPolicies().inAnyNamespace().list().getItems(), ClusterCache::key,
                this::putPolicy, this::removePolicy,
                () -> client.network().v1().networkPolicies().inAnyNamespace().runnableInformer(0)));
        if (api != null) {
            tierWatch = tierWatch(api, false);
            feeds.addAll(tierWatch.feeds);
        }
        kinds.addAll(feeds);
        return feeds;
    }

    /**
     * The ClusterNetworkPolicy and Node feeds of one served version, read as generic objects through
     * {@link TierObjectReader}. Their handlers take nothing in once {@link TierWatch#active} is off, so that an
     * event still under way when they stop cannot bring back a record the cache has dropped.
     *
     * @param relistOnceWatching list both kinds again as soon as their watches run (records of another version's
     *                           feeds may be gone)
     */
    private TierWatch tierWatch(ClusterPolicyApi api, boolean relistOnceWatching) {
        var serialization = client.getKubernetesSerialization();
        TierWatch watch = new TierWatch(api);
        Feed<GenericKubernetesResource> policyFeed = new Feed<>(ClusterPolicyApi.KIND, GenericKubernetesResource.class,
                clusterPolicies, clusterPoliciesTouched, clusterPolicyVersion,
                () -> client.genericKubernetesResources(api.context()).list().getItems(), o -> meta(o).getName(),
                o -> watch.active && put(clusterPolicies, clusterPoliciesTouched, clusterPolicyVersion,
                        ClusterPolicyApi.KIND, meta(o).getName(),
                        TierObjectReader.clusterPolicy(serialization.convertValue(o, JsonNode.class))),
                o -> watch.active && remove(clusterPolicies, clusterPoliciesTouched, clusterPolicyVersion,
                        ClusterPolicyApi.KIND, meta(o).getName()),
                () -> client.genericKubernetesResources(api.context()).runnableInformer(0));
        policyFeed.servedBy = api;
        Feed<io.fabric8.kubernetes.api.model.Node> nodeFeed = new Feed<>("Node",
                io.fabric8.kubernetes.api.model.Node.class, nodes, nodesTouched, nodeVersion,
                () -> client.nodes().list().getItems(), o -> meta(o).getName(),
                o -> watch.active && put(nodes, nodesTouched, nodeVersion, "Node", meta(o).getName(),
                        TierObjectReader.node(serialization.convertValue(o, JsonNode.class))),
                o -> watch.active && remove(nodes, nodesTouched, nodeVersion, "Node", meta(o).getName()),
                () -> client.nodes().runnableInformer(0));
        watch.feeds.add(policyFeed);
        watch.feeds.add(nodeFeed);
        long now = System.nanoTime();
        watch.feeds.forEach(k -> {
            k.lastRelistNanos = now;
            k.interrupted = relistOnceWatching;
        });
        return watch;
    }

    /** The ClusterNetworkPolicy and Node feeds of one served version. */
    private static final class TierWatch {
        final ClusterPolicyApi api;
        final List<Feed<?>> feeds = new ArrayList<>(2);
        volatile boolean active = true;

        TierWatch(ClusterPolicyApi api) {
            this.api = api;
        }
    }

    /**
     * Starts and stops the informers of the ClusterNetworkPolicy and Node feeds as their CRD comes and goes: this
     * cache's own informers ({@link #start}), or the controller's event sources registered with it dynamically.
     * Called under the cache's lock; it must not wait for the informers to list.
     */
    public interface TierDriver {
        /** Gives each feed an informer (and its {@link Feed#watchedBy KindWatch}) and starts it. */
        void start(List<Feed<?>> feeds);

        /** Stops the feeds' informers; the cache has already dropped their records. */
        void stop(List<Feed<?>> feeds);
    }

    /**
     * Follows the ClusterNetworkPolicy CRD after the feeds were made: where {@code api} says it is served now, or
     * empty when it is not ({@link ClusterPolicyApiWatch} finds out). Installed: the ClusterNetworkPolicy and Node
     * feeds start; each policy reaches the listener as it is listed. Removed: they stop and the cache drops their
     * records at once (deleting the CRD deleted every ClusterNetworkPolicy). Another served version: the records
     * stay while the new feeds list the same objects, and a relist once they watch removes what went.
     */
    public synchronized void useClusterPolicyApi(java.util.Optional<ClusterPolicyApi> api) {
        if (kinds.isEmpty()) {
            throw new IllegalStateException("not started");
        }
        if (closed || api.equals(clusterPolicyApi())) {
            return;
        }
        TierWatch previous = tierWatch;
        tierWatch = null;
        if (previous != null) {
            previous.active = false;
            kinds.removeAll(previous.feeds);
            tierDriver.stop(previous.feeds);
        }
        clusterPolicyApi = api.orElse(null);
        if (api.isEmpty()) {
            LOG.info("{} ({}) is no longer served: dropping {} clusternetworkpolicies and {} nodes; enforcing "
                    + "NetworkPolicy only", ClusterPolicyApi.PLURAL, previous == null ? "" : previous.api.apiVersion(),
                    clusterPolicies.size(), nodes.size());
            dropAll(clusterPolicies, clusterPolicyVersion, ClusterPolicyApi.KIND);
            dropAll(nodes, nodeVersion, "Node");
            return;
        }
        LOG.info("{} is served now ({}): watching them and nodes", ClusterPolicyApi.PLURAL, api.get().apiVersion());
        TierWatch watch = tierWatch(api.get(), previous != null);
        tierWatch = watch;
        kinds.addAll(watch.feeds);
        tierDriver.start(watch.feeds);
    }

    private void dropAll(Map<String, ?> records, AtomicLong version, String kind) {
        synchronized (records) {
            for (String key : List.copyOf(records.keySet())) {
                records.remove(key);
                changed(version, kind, key);
            }
        }
    }

    /**
     * Waits until the feeds have taken in every object of their informers' first lists (see
     * {@link #awaitHandlers}), then starts the relists. The informers must have listed once already.
     */
    public synchronized void awaitListed(Duration timeout) throws TimeoutException, InterruptedException {
        if (synced) {
            return;
        }
        for (Feed<?> k : kinds) {
            awaitHandlers(k, timeout);
        }
        synced = true;
        relister = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "nftpolicy-relist");
            t.setDaemon(true);
            return t;
        });
        long listedAt = System.nanoTime();
        kinds.forEach(k -> k.lastRelistNanos = listedAt);
        relister.scheduleWithFixedDelay(this::checkWatches, WATCH_CHECK_INTERVAL.toMillis(),
                WATCH_CHECK_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Asks discovery whether ClusterNetworkPolicy is served, again until {@code timeout} while the API server
     * does not answer. Not served: one line in the log, and none are watched until {@link #useClusterPolicyApi}
     * says the CRD is there ({@link ClusterPolicyApiWatch} asks discovery again periodically).
     */
    public ClusterPolicyApi discoverClusterPolicies(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        RateLimitedLog failures = new RateLimitedLog(LOG, FAILURE_LOG_INTERVAL);
        while (true) {
            try {
                ClusterPolicyApi api = ClusterPolicyApi.discover(client).orElse(null);
                if (api == null) {
                    LOG.info("the API server does not serve {} ({} {}): enforcing NetworkPolicy only until the "
                            + "network-policy-api CRD is installed", ClusterPolicyApi.PLURAL,
                            ClusterPolicyApi.GROUP, String.join(" or ", ClusterPolicyApi.VERSIONS));
                } else {
                    LOG.info("watching {} ({}) and nodes", ClusterPolicyApi.PLURAL, api.apiVersion());
                }
                return api;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (System.nanoTime() - deadline > 0) {
                    TimeoutException t = new TimeoutException("API discovery of " + ClusterPolicyApi.GROUP
                            + " did not answer within " + timeout.toSeconds() + " s: " + e.getMessage());
                    t.initCause(e);
                    throw t;
                }
                failures.warn("API discovery of {} failed, retrying: {}", ClusterPolicyApi.GROUP, e.toString());
                Thread.sleep(1000);
            }
        }
    }

    /** Where ClusterNetworkPolicy is watched; empty when the API server does not serve it (see {@link #start}). */
    public java.util.Optional<ClusterPolicyApi> clusterPolicyApi() {
        return java.util.Optional.ofNullable(clusterPolicyApi);
    }

    /**
     * One kind's records and how to list it again. A watch that breaks is reconnected by fabric8 from the last
     * resourceVersion it saw, without a new list: a real API server then replays what happened meanwhile (or
     * answers 410 Gone, and fabric8 relists). fabric8's mock server replays only the objects that exist, so a
     * deletion made while the watch was down never arrives; and a watch whose connection was closed under it may
     * not notice for a long time (the JDK WebSocket does not always report it, and {@code isWatching()} stays true),
     * missing every change meanwhile (docs/agent.md, WatchDropTest). The cache therefore lists a kind again once its
     * watch is seen back, and every {@link #relistInterval}, and brings the records to the list: objects new or
     * changed are taken in, records whose object is gone are removed. A key that an event touched since the relist
     * began is left to the event, which is newer than the list.
     */
    public static final class Feed<T extends HasMetadata> {
        final String kind;
        private final Class<T> type;
        final Map<String, ?> records;
        final Set<String> touched;
        final AtomicLong version;
        final java.util.function.Supplier<List<? extends HasMetadata>> list;
        final java.util.function.Function<HasMetadata, String> keyOf;
        final Consumer<HasMetadata> put;
        private final java.util.function.Predicate<T> put0;
        private final java.util.function.Predicate<T> remove;
        private final java.util.function.Supplier<SharedIndexInformer<T>> informer;
        private final String[] storedFields;
        volatile KindWatch watch;
        /** The informer of this cache's own that feeds it ({@link #start}); null when the controller's does. */
        SharedIndexInformer<T> ownInformer;
        /** Where a ClusterNetworkPolicy feed reads its kind; null for the other kinds. */
        ClusterPolicyApi servedBy;
        volatile boolean interrupted;
        volatile long lastRelistNanos;

        @SuppressWarnings("unchecked")
        Feed(String kind, Class<T> type, Map<String, ?> records, Set<String> touched, AtomicLong version,
             java.util.function.Supplier<List<T>> list, java.util.function.Function<T, String> keyOf,
             java.util.function.Predicate<T> put, java.util.function.Predicate<T> remove,
             java.util.function.Supplier<SharedIndexInformer<T>> informer, String... storedFields) {
            this.kind = kind;
            this.type = type;
            this.records = records;
            this.touched = touched;
            this.version = version;
            this.list = list::get;
            this.keyOf = o -> keyOf.apply((T) o);
            this.put = o -> put.test((T) o);
            this.put0 = put;
            this.remove = remove;
            this.informer = informer;
            this.storedFields = storedFields;
        }

        /** Namespace, Pod, NetworkPolicy, ClusterNetworkPolicy or Node. */
        public String kind() {
            return kind;
        }

        public Class<T> type() {
            return type;
        }

        /** The served ClusterNetworkPolicy version this feed reads; empty for the other kinds. */
        public java.util.Optional<ClusterPolicyApi> servedBy() {
            return java.util.Optional.ofNullable(servedBy);
        }

        /** Takes in an added or updated object; whether a record changed (false: nothing to sync). */
        public boolean added(T object) {
            synchronized (records) { // as a relist: one writer of this kind at a time
                return put0.test(object);
            }
        }

        /** Takes in a deleted object; whether a record changed. */
        public boolean deleted(T object) {
            synchronized (records) {
                return remove.test(object);
            }
        }

        /**
         * The informer's store for this kind: the key and resourceVersion of each object (and the pod's uid), all
         * the informer needs to find deletions on a relist; the records hold the rest.
         */
        public io.fabric8.kubernetes.client.informers.cache.ItemStore<T> itemStore(
                io.fabric8.kubernetes.client.utils.KubernetesSerialization serialization) {
            return new ReducedStateItemStore<>(ReducedStateItemStore.NAME_KEY_STATE, type, serialization,
                    storedFields);
        }

        /** The informer that feeds this kind, for the relists and {@link #awaitListed}. */
        public void watchedBy(KindWatch w) {
            watch = Objects.requireNonNull(w, "watch");
        }
    }

    /** On the relist thread: relists a kind whose watch came back, or whose periodic relist is due. */
    private void checkWatches() {
        for (Feed<?> k : kinds) {
            try {
                if (k.watch == null) {
                    continue; // a tier feed whose informer the controller has not registered yet
                }
                boolean watching = k.watch.isWatching();
                if (!watching) {
                    k.interrupted = true;
                    continue;
                }
                boolean due = !relistInterval.isZero()
                        && System.nanoTime() - k.lastRelistNanos - relistInterval.toNanos() >= 0;
                if (k.interrupted || due) {
                    relist(k, k.interrupted ? "its watch reconnected" : "periodic");
                    k.interrupted = false;
                }
            } catch (RuntimeException e) {
                relistFailures.warn("relisting {} failed, retrying: {}", k.kind, e.toString());
            }
        }
    }

    /** Lists {@code kind} and brings its records to the list; returns how many records it changed. */
    int relist(String kind) {
        return kinds.stream().filter(k -> k.kind.equals(kind)).findFirst()
                .map(k -> relist(k, "asked")).orElseThrow(() -> new IllegalArgumentException("no kind " + kind));
    }

    private int relist(Feed<?> k, String why) {
        k.touched.clear();
        Map<String, Object> before = new HashMap<>(k.records);
        Set<String> listed = new HashSet<>();
        int taken = 0;
        for (HasMetadata object : k.list.get()) {
            String key = k.keyOf.apply(object);
            listed.add(key);
            synchronized (k.records) { // as the informer's handlers: one writer of this kind at a time
                if (!k.touched.contains(key)) {
                    long v = k.version.get();
                    k.put.accept(object);
                    taken += k.version.get() != v ? 1 : 0;
                }
            }
        }
        k.lastRelistNanos = System.nanoTime();
        int removed = 0;
        for (Map.Entry<String, Object> e : before.entrySet()) {
            String key = e.getKey();
            synchronized (k.records) {
                if (!listed.contains(key) && !k.touched.contains(key) && k.records.remove(key, e.getValue())) {
                    if (k.kind.equals("Pod")) {
                        podDiagnostics.remove(key);
                    } else if (k.kind.equals("Namespace")) {
                        namespaceDiagnostics.remove(key);
                    }
                    if (k.kind.equals("Pod") || k.kind.equals("NetworkPolicy")) {
                        use(key, -1);
                    }
                    changed(k.version, k.kind, key);
                    removed++;
                }
            }
        }
        if (taken + removed > 0) {
            listener.relisted(k.kind, taken + removed);
            LOG.warn("relisted {} ({}): the watch had missed {} new or changed object(s) and {} deletion(s)", k.kind,
                    why, taken, removed);
        } else {
            LOG.debug("relisted {} ({}): nothing missed", k.kind, why);
        }
        return taken + removed;
    }

    /**
     * Waits until the handlers have taken in every object of the informer's first list. An informer's start
     * completes once its store holds the list, while its handlers are still called one by one on another thread:
     * without this wait, the first sync could compile part of the cluster and take allowances away for a moment.
     */
    private static void awaitHandlers(Feed<?> feed, Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (feed.watch != null && !feed.records.keySet().containsAll(feed.watch.keys())) {
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("the " + feed.kind + " informer's handlers did not take in its first list "
                        + "within " + timeout.toSeconds() + " s");
            }
            Thread.sleep(5);
        }
    }

    /** Whether every informer has listed its objects once (the cache holds the whole cluster). */
    public boolean hasSynced() {
        return synced && kinds.stream().allMatch(k -> k.watch != null && k.watch.hasSynced());
    }

    /** Per kind, whether its informer is watching now. */
    public Map<String, Boolean> watching() {
        Map<String, Boolean> out = new java.util.TreeMap<>();
        kinds.forEach(k -> out.put(k.kind, k.watch != null && k.watch.isWatching()));
        return out;
    }

    /** Whether every informer is watching now (false while one reconnects). */
    public boolean isWatching() {
        return !kinds.isEmpty() && kinds.stream().allMatch(k -> k.watch != null && k.watch.isWatching());
    }

    /**
     * The cluster as now known. Namespaces that pods or policies name but that have not arrived yet are added
     * without labels, as {@link SnapshotConverter#convert} does.
     *
     * <p>Cheap when little changed, and stable for the incremental compiler: a record that did not change is the
     * same instance as in the previous snapshot (an update equal to the record keeps the old instance), and a kind
     * with no change since the previous snapshot gives the very same list. Only a kind that changed is copied
     * again (one array copy of its records).
     */
    public synchronized CacheSnapshot snapshot() {
        long[] now = {namespaceVersion.get(), podVersion.get(), policyVersion.get(), clusterPolicyVersion.get(),
                nodeVersion.get()};
        if (last != null && java.util.Arrays.equals(now, lastVersions)) {
            return last;
        }
        boolean podsChanged = last == null || now[1] != lastVersions[1];
        boolean policiesChanged = last == null || now[2] != lastVersions[2];
        List<Pod> podList = podsChanged ? List.copyOf(pods.values()) : last.cluster().pods();
        List<NetworkPolicy> policyList = last == null ? null : last.cluster().policies();
        Map<String, PolicyRef> refs = last == null ? null : last.policies();
        if (policiesChanged) {
            List<NetworkPolicy> list = new ArrayList<>(policies.size());
            Map<String, PolicyRef> byRef = new HashMap<>();
            for (Map.Entry<String, PolicyEntry> e : policies.entrySet()) {
                list.add(e.getValue().policy());
                byRef.put(e.getKey(), e.getValue().ref());
            }
            policyList = List.copyOf(list);
            refs = Map.copyOf(byRef);
        }
        List<Namespace> namespaceList = new ArrayList<>(namespaces.values());
        Set<String> missing = new HashSet<>(namespaceUses.keySet());
        missing.removeAll(namespaces.keySet());
        placeholders.keySet().retainAll(missing);
        missing.forEach(name -> namespaceList.add(placeholders.computeIfAbsent(name, n -> new Namespace(n, Map.of()))));
        List<Diagnostic> diagnostics = new ArrayList<>();
        namespaceDiagnostics.values().forEach(diagnostics::addAll);
        podDiagnostics.values().forEach(diagnostics::addAll);
        // Each tier kind is copied again only when it changed, as pods are, so that unchanged lists stay the same.
        List<ClusterNetworkPolicy> clusterPolicyList = last == null || now[3] != lastVersions[3]
                ? List.copyOf(clusterPolicies.values()) : last.cluster().clusterPolicies();
        List<Node> nodeList = last == null || now[4] != lastVersions[4] ? List.copyOf(nodes.values())
                : last.cluster().nodes();
        last = new CacheSnapshot(new ClusterSnapshot(namespaceList, podList, policyList, clusterPolicyList, nodeList),
                diagnostics, refs);
        lastVersions = now;
        return last;
    }

    /** Sizes, for logs and tests: namespaces, pods, policies, ClusterNetworkPolicies and nodes held. */
    public int[] sizes() {
        return new int[] {namespaces.size(), pods.size(), policies.size(), clusterPolicies.size(), nodes.size()};
    }

    /** How many objects the informers' own stores hold, by kind (they keep only keys and resourceVersions). */
    public Map<String, Integer> informerStoreSizes() {
        Map<String, Integer> out = new HashMap<>();
        kinds.forEach(k -> out.put(k.kind, k.watch == null ? 0 : k.watch.stored().size()));
        return out;
    }

    /** The informers' stores, for tests: what they keep of each object. */
    List<? extends HasMetadata> informerStore(Class<? extends HasMetadata> type) {
        for (Feed<?> k : kinds) {
            if (k.type() == type && k.watch != null) {
                return k.watch.stored();
            }
        }
        return List.of();
    }

    /** Stops the relists and this cache's own informers, if any (their watches close); the records stay readable. */
    @Override
    public synchronized void close() {
        closed = true;
        if (relister != null) {
            relister.shutdownNow();
        }
        for (SharedIndexInformer<?> informer : informers) {
            try {
                informer.stop();
            } catch (RuntimeException e) {
                LOG.warn("stopping the {} informer: {}", informer.getApiTypeClass().getSimpleName(), e.toString());
            }
        }
        synced = false;
    }

    // ---- the informers' handlers ----

    private boolean putNamespace(io.fabric8.kubernetes.api.model.Namespace object) {
        List<Diagnostic> diagnostics = new ArrayList<>(0);
        Namespace record = converter.namespace(object, diagnostics);
        namespacesTouched.add(record.name());
        List<Diagnostic> previous = diagnostics.isEmpty() ? namespaceDiagnostics.remove(record.name())
                : namespaceDiagnostics.put(record.name(), List.copyOf(diagnostics));
        if (!diagnostics.equals(previous == null ? List.of() : previous)) {
            namespaceVersion.incrementAndGet(); // the snapshot carries them
        }
        if (!record.equals(namespaces.get(record.name()))) {
            namespaces.put(record.name(), record);
            return changed(namespaceVersion, "Namespace", record.name());
        }
        return false;
    }

    private boolean removeNamespace(io.fabric8.kubernetes.api.model.Namespace object) {
        String name = meta(object).getName();
        if (name != null) {
            namespacesTouched.add(name);
            if (namespaceDiagnostics.remove(name) != null) {
                namespaceVersion.incrementAndGet();
            }
        }
        if (name != null && namespaces.remove(name) != null) {
            return changed(namespaceVersion, "Namespace", name);
        }
        return false;
    }

    /**
     * Takes in a pod's add or update. Two pods of one namespace and name never exist at once in the API server, so
     * a pod of another uid replaces the record: the earlier pod is gone, even when its delete has not arrived yet.
     * Only an object created before the record's pod is stale news of the earlier pod, and is ignored.
     */
    boolean putPod(io.fabric8.kubernetes.api.model.Pod object) {
        List<Diagnostic> diagnostics = new ArrayList<>(0);
        Pod record = converter.pod(object, diagnostics);
        String key = record.ref();
        podsTouched.add(key);
        Pod current = pods.get(key);
        if (current != null && !current.uid().equals(record.uid()) && record.creationTimestamp() != null
                && current.creationTimestamp() != null && record.creationTimestamp().isBefore(current.creationTimestamp())) {
            LOG.debug("pod {}: ignored news of uid {}, earlier than uid {}", key, record.uid(), current.uid());
            return false;
        }
        List<Diagnostic> previous = diagnostics.isEmpty() ? podDiagnostics.remove(key)
                : podDiagnostics.put(key, List.copyOf(diagnostics));
        if (!diagnostics.equals(previous == null ? List.of() : previous)) {
            podVersion.incrementAndGet(); // the snapshot carries them
        }
        if (!record.equals(current)) {
            if (pods.put(key, record) == null) {
                use(key, 1);
            }
            return changed(podVersion, "Pod", key);
        }
        return false;
    }

    /** Takes in a pod's delete: the record goes only if it is that pod (same uid), not a later one of its name. */
    boolean removePod(io.fabric8.kubernetes.api.model.Pod object) {
        String key = key(object);
        podsTouched.add(key);
        String uid = meta(object).getUid();
        Pod current = pods.get(key);
        if (current != null && uid != null && !uid.isEmpty() && !uid.equals(current.uid())) {
            LOG.debug("pod {}: the delete of uid {} leaves uid {}", key, uid, current.uid());
            return false;
        }
        if (podDiagnostics.remove(key) != null) {
            podVersion.incrementAndGet();
        }
        if (pods.remove(key) != null) {
            use(key, -1);
            return changed(podVersion, "Pod", key);
        }
        return false;
    }

    private boolean putPolicy(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy object) {
        NetworkPolicy record = converter.policy(object);
        ObjectMeta meta = meta(object);
        PolicyRef ref = new PolicyRef(record.namespace(), record.name(), meta.getUid(),
                meta.getGeneration() == null ? 0 : meta.getGeneration());
        PolicyEntry entry = new PolicyEntry(record, ref);
        policiesTouched.add(record.ref());
        if (!entry.equals(policies.get(record.ref()))) {
            if (policies.put(record.ref(), entry) == null) {
                use(record.ref(), 1);
            }
            return changed(policyVersion, "NetworkPolicy", record.ref());
        }
        return false;
    }

    private boolean removePolicy(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy object) {
        String key = key(object);
        policiesTouched.add(key);
        if (policies.remove(key) != null) {
            use(key, -1);
            return changed(policyVersion, "NetworkPolicy", key);
        }
        return false;
    }

    /** Takes in a cluster-scoped record (ClusterNetworkPolicy, Node); an equal one keeps the held instance. */
    private <R> boolean put(Map<String, R> records, Set<String> touched, AtomicLong version, String kind, String name,
                         R record) {
        touched.add(name);
        if (!record.equals(records.get(name))) {
            records.put(name, record);
            return changed(version, kind, name);
        }
        return false;
    }

    private boolean remove(Map<String, ?> records, Set<String> touched, AtomicLong version, String kind, String name) {
        touched.add(name);
        if (records.remove(name) != null) {
            return changed(version, kind, name);
        }
        return false;
    }

    /** Counts a pod or policy record (namespace/name) in or out of its namespace's {@link #namespaceUses}. */
    private void use(String key, int delta) {
        namespaceUses.merge(key.substring(0, key.indexOf('/')), delta, (a, b) -> a + b == 0 ? null : a + b);
    }

    /** After a record changed: the next snapshot copies this kind again, and the listener hears of it. */
    private boolean changed(AtomicLong version, String kind, String key) {
        version.incrementAndGet();
        listener.changed(kind, key, System.nanoTime());
        return true;
    }

    private static ObjectMeta meta(HasMetadata object) {
        return object.getMetadata() == null ? new ObjectMeta() : object.getMetadata();
    }

    /** namespace/name as {@link SnapshotConverter} names records (no namespace reads as default). */
    private static String key(HasMetadata object) {
        ObjectMeta meta = meta(object);
        String namespace = meta.getNamespace() == null || meta.getNamespace().isEmpty()
                ? SnapshotConverter.DEFAULT_NAMESPACE : meta.getNamespace();
        return namespace + "/" + (meta.getName() == null ? "" : meta.getName());
    }
}
