package io.nftpolicy.agent.reporting;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.nftpolicy.agent.cache.ClusterPolicyApi;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the {@link AcceptedCondition} of every ClusterNetworkPolicy, from one agent of the cluster: the one that
 * holds the Lease {@value #LEASE} in the agent's namespace ({@link LeaderLease}). Every agent judges every policy
 * the same way, so one writer is enough, and 5,000 would be 5,000 writes per change.
 *
 * <p>While leading, and while the API server serves ClusterNetworkPolicy, the leader watches the policies (whole
 * objects: it needs their status and generation) and, for each add or update, compares the condition the policy
 * should carry with the one it carries, and writes only when they differ: status, reason, message or
 * observedGeneration. Its own write comes back as an update that then matches, so nothing loops. The write is an
 * update of the status subresource at the resourceVersion read, carrying the other conditions as they were: a
 * conflict means a newer version is on its way to the informer, which judges it again; another failure is made
 * good at the informer's next resync ({@link #RESYNC}). The policies themselves are never written (RBAC: update on {@code clusternetworkpolicies/status} only).
 */
public final class ClusterPolicyConditions implements AutoCloseable {
    public static final String LEASE = "nftpolicy-cluster-policy-status";
    /**
     * How often every policy is judged again from the informer's store: a write that failed (the API server
     * unreachable) is made again without waiting for the policy to change. Costs no request when nothing differs.
     */
    static final java.time.Duration RESYNC = java.time.Duration.ofMinutes(1);
    private static final Logger LOG = LoggerFactory.getLogger(ClusterPolicyConditions.class);

    private final KubernetesClient client;
    private final Clock clock;
    private final LeaderLease lease;
    private final AtomicLong writes = new AtomicLong();
    // Guarded by this.
    private boolean leading;
    private Optional<ClusterPolicyApi> api = Optional.empty();
    private SharedIndexInformer<GenericKubernetesResource> informer;

    /**
     * @param namespace the agent's namespace, where the Lease lives
     * @param identity  this agent's name in the Lease (its node)
     */
    public ClusterPolicyConditions(KubernetesClient client, String namespace, String identity,
                                   LeaderLease.Timing timing, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.lease = new LeaderLease(client, namespace, LEASE, identity, timing, this::startLeading,
                this::stopLeading);
    }

    /** Competes for the Lease; {@code served} is where ClusterNetworkPolicy is served now (empty: not). */
    public void start(Optional<ClusterPolicyApi> served) {
        useApi(served);
        lease.start();
    }

    /** The CRD came, went or changed version ({@code ClusterPolicyApiWatch}). */
    public synchronized void useApi(Optional<ClusterPolicyApi> served) {
        if (served.equals(api)) {
            return;
        }
        api = served;
        if (leading) {
            stopInformer();
            startInformer();
        }
    }

    /** Whether this agent holds the Lease now. */
    public synchronized boolean leading() {
        return leading;
    }

    /** Status writes made, for tests and logs. */
    public long writes() {
        return writes.get();
    }

    private synchronized void startLeading() {
        if (!leading) {
            leading = true;
            startInformer();
        }
    }

    private synchronized void stopLeading() {
        if (leading) {
            leading = false;
            stopInformer();
        }
    }

    private void startInformer() {
        if (api.isEmpty()) {
            return;
        }
        ClusterPolicyApi served = api.get();
        informer = client.genericKubernetesResources(served.context()).runnableInformer(RESYNC.toMillis());
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(GenericKubernetesResource policy) {
                judge(served, policy);
            }

            @Override
            public void onUpdate(GenericKubernetesResource before, GenericKubernetesResource policy) {
                judge(served, policy);
            }

            @Override
            public void onDelete(GenericKubernetesResource policy, boolean finalStateUnknown) {
            }
        });
        informer.exceptionHandler((started, t) -> {
            LOG.warn("watching {} for their conditions failed, retrying: {}", ClusterPolicyApi.PLURAL, t.toString());
            return true;
        });
        informer.start();
    }

    private void stopInformer() {
        if (informer != null) {
            informer.stop();
            informer = null;
        }
    }

    /**
     * On the informer's thread: writes the policy's condition if it is not the one it should carry. What the watch
     * brought is read again before a write: a watch opened before the CRD's schema changed (the experimental
     * channel's CRD applied over the standard one) goes on serving objects pruned to the old schema, and a
     * {@code domainNames} peer pruned away would be judged an empty peer (InvalidField) instead of UnsupportedField.
     * A list by name serves the object as stored under the schema in effect now; writes are rare, and so are these
     * reads.
     */
    private void judge(ClusterPolicyApi served, GenericKubernetesResource policy) {
        if (!leading()) {
            return; // an event still under way when the lease was lost
        }
        if (withCondition(policy).isEmpty()) {
            return;
        }
        String name = policy.getMetadata().getName();
        GenericKubernetesResource current;
        try {
            // A list by name, not a get: the agent's RBAC on the policies is list and watch only.
            current = client.genericKubernetesResources(served.context()).withField("metadata.name", name).list()
                    .getItems().stream().findFirst().orElse(null);
        } catch (KubernetesClientException e) {
            LOG.warn("cannot read ClusterNetworkPolicy {} to write its {} condition: {}", name, AcceptedCondition.TYPE,
                    e.getMessage());
            return;
        }
        Optional<Judged> written = current == null ? Optional.empty() : withCondition(current);
        if (written.isPresent()) {
            write(served, name, written.get());
        }
    }

    /** The policy with the condition it should carry, or empty when it carries that one already. */
    private Optional<Judged> withCondition(GenericKubernetesResource policy) {
        var serialization = client.getKubernetesSerialization();
        JsonNode object = serialization.convertValue(policy, JsonNode.class);
        List<Map<String, Object>> conditions = new ArrayList<>();
        Optional<Condition> current = Optional.empty();
        for (JsonNode c : object.path("status").path("conditions")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> map = serialization.convertValue(c, Map.class);
            if (AcceptedCondition.TYPE.equals(c.path("type").asText())) {
                current = Optional.of(serialization.convertValue(c, Condition.class));
            } else {
                conditions.add(map);
            }
        }
        Condition desired = AcceptedCondition.of(object, current, clock.instant());
        if (!AcceptedCondition.differs(current, desired)) {
            return Optional.empty();
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> written = serialization.convertValue(desired, Map.class);
        conditions.add(written);
        GenericKubernetesResource copy = serialization.convertValue(object, GenericKubernetesResource.class);
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("conditions", conditions);
        copy.setAdditionalProperty("status", status);
        return Optional.of(new Judged(copy, desired));
    }

    /** A policy with the condition it should carry ({@code desired}), to write. */
    private record Judged(GenericKubernetesResource copy, Condition desired) {}

    private void write(ClusterPolicyApi served, String name, Judged judged) {
        GenericKubernetesResource copy = judged.copy();
        Condition desired = judged.desired();
        try {
            client.genericKubernetesResources(served.context()).resource(copy).updateStatus();
            writes.incrementAndGet();
            LOG.info("ClusterNetworkPolicy {}: {}={} {}: {}", name, AcceptedCondition.TYPE, desired.getStatus(),
                    desired.getReason(), desired.getMessage());
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409 || e.getCode() == 404) {
                LOG.debug("ClusterNetworkPolicy {} changed or went while its condition was written: {}", name,
                        e.getMessage());
            } else {
                LOG.warn("cannot write the {} condition of ClusterNetworkPolicy {}: {}", AcceptedCondition.TYPE,
                        name, e.getMessage());
            }
        }
    }

    /** Stops competing (the Lease is released) and watching. */
    @Override
    public void close() {
        lease.close();
        stopLeading();
    }
}
