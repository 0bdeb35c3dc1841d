package io.nftpolicy.agent;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.cache.ClusterCache;
import io.nftpolicy.agent.cache.ClusterPolicyApiWatch;
import io.nftpolicy.agent.reporting.ClusterPolicyConditions;
import io.nftpolicy.agent.reporting.LeaderLease;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * The agent's ClusterNetworkPolicy housekeeping beside enforcement: following the CRD as it comes and goes
 * ({@link ClusterPolicyApiWatch} feeding {@link ClusterCache#useClusterPolicyApi}), and, from the one agent that
 * holds the Lease, each policy's {@code nftpolicy.io/Accepted} condition ({@link ClusterPolicyConditions}).
 */
public final class ClusterPolicySupport implements AutoCloseable {

    /**
     * @param discoveryInterval how often API discovery is asked whether the CRD is served
     * @param lease             the timing of the election of the agent that writes the conditions
     * @param leaseNamespace    where the Lease lives; null: the client's namespace (in a pod, its service
     *                          account's: the agent's own)
     * @param conditions        whether to compete for the Lease and write conditions at all
     */
    public record Options(Duration discoveryInterval, LeaderLease.Timing lease, String leaseNamespace, boolean conditions) {
        public Options {
            Objects.requireNonNull(discoveryInterval, "discoveryInterval");
            Objects.requireNonNull(lease, "lease");
        }

        public static Options defaults() {
            return new Options(ClusterPolicyApiWatch.DEFAULT_INTERVAL, LeaderLease.Timing.defaults(), null, true);
        }
    }

    private final ClusterCache cache;
    private final ClusterPolicyApiWatch apiWatch;
    private final ClusterPolicyConditions conditions;

    ClusterPolicySupport(KubernetesClient client, ClusterCache cache, String node, Options options, Clock clock) {
        this.cache = cache;
        this.apiWatch = new ClusterPolicyApiWatch(client, options.discoveryInterval());
        String namespace = options.leaseNamespace() != null ? options.leaseNamespace()
                : Objects.requireNonNullElse(client.getNamespace(), "default");
        this.conditions = options.conditions()
                ? new ClusterPolicyConditions(client, namespace, node, options.lease(), clock) : null;
        apiWatch.addListener(cache::useClusterPolicyApi);
        if (conditions != null) {
            apiWatch.addListener(conditions::useApi);
        }
    }

    /** After the cache's start, from what its discovery found. */
    void start() {
        apiWatch.start(cache.clusterPolicyApi());
        if (conditions != null) {
            conditions.start(cache.clusterPolicyApi());
        }
    }

    /** The condition writer; null when turned off. */
    public ClusterPolicyConditions conditions() {
        return conditions;
    }

    @Override
    public void close() {
        apiWatch.close();
        if (conditions != null) {
            conditions.close();
        }
    }
}
