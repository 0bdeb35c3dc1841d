package io.nftpolicy.testing;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.policy.NetworkPolicy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Cluster snapshots for specifications, the one way tests of every module build them:
 * <pre>{@code
 * cluster().namespace("dev", "team=a")
 *         .pod("dev/db", "node-1", "10.244.1.10", "role=db")
 *         .pod(pod("dev/web").on("node-1").ips("10.244.1.11", "fd00::11").labels("app=web").port("http", 80, TCP))
 *         .policy(ingress("dev/db-from-web", labels("role=db"), peers(pods(labels("app=web")))))
 *         .snapshot();
 * }</pre>
 * Policies are written with {@link Policies}; {@link #cluster(ClusterSnapshot)} starts from a snapshot to edit it.
 */
public final class Clusters {
    private final List<Namespace> namespaces;
    private final List<Pod> pods;
    private final List<NetworkPolicy> policies;

    private Clusters(ClusterSnapshot from) {
        namespaces = new ArrayList<>(from.namespaces());
        pods = new ArrayList<>(from.pods());
        policies = new ArrayList<>(from.policies());
    }

    public static Clusters cluster() {
        return new Clusters(new ClusterSnapshot(List.of(), List.of(), List.of()));
    }

    /** An edit of {@code from}: what is added, removed or changed lands in a new snapshot. */
    public static Clusters cluster(ClusterSnapshot from) {
        return new Clusters(from);
    }

    /** A running pod, to be given its node, addresses, labels and ports: {@code pod("dev/web").on("node-1")...}. */
    public static PodFixture pod(String ref) {
        return PodFixture.pod(ref);
    }

    /** @param labels {@code key=value} */
    public Clusters namespace(String name, String... labels) {
        namespaces.add(new Namespace(name, Policies.map(labels)));
        return this;
    }

    /** Namespaces without labels (besides the name label every namespace has). */
    public Clusters namespaces(String... names) {
        Arrays.stream(names).forEach(this::namespace);
        return this;
    }

    /** A running pod with one address and no ports. */
    public Clusters pod(String ref, String node, String ip, String... labels) {
        return pod(pod(ref).on(node).ips(ip).labels(labels));
    }

    public Clusters pod(PodFixture pod) {
        return add(pod.build());
    }

    public Clusters add(Pod... pods) {
        this.pods.addAll(List.of(pods));
        return this;
    }

    public Clusters policy(NetworkPolicy... policies) {
        this.policies.addAll(List.of(policies));
        return this;
    }

    /** The pod {@code ref} replaced by what {@code change} makes of it. */
    public Clusters changePod(String ref, UnaryOperator<Pod> change) {
        pods.replaceAll(p -> p.ref().equals(ref) ? change.apply(p) : p);
        return this;
    }

    /** The pod {@code ref} with these labels instead of its own. */
    public Clusters relabel(String ref, String... labels) {
        return changePod(ref, p -> PodFixture.from(p).labels(labels).build());
    }

    public Clusters withoutPod(String ref) {
        pods.removeIf(p -> p.ref().equals(ref));
        return this;
    }

    public Clusters withoutPolicy(String ref) {
        policies.removeIf(p -> p.ref().equals(ref));
        return this;
    }

    /** The policy {@code ref} replaced by what {@code change} makes of it. */
    public Clusters changePolicy(String ref, UnaryOperator<NetworkPolicy> change) {
        policies.replaceAll(p -> p.ref().equals(ref) ? change.apply(p) : p);
        return this;
    }

    /** The namespace {@code name} with these labels ({@code key=value}) instead of its own. */
    public Clusters relabelNamespace(String name, String... labels) {
        return relabelNamespace(name, Policies.map(labels));
    }

    /** The namespace {@code name} with these labels instead of its own (its name label stays). */
    public Clusters relabelNamespace(String name, Map<String, String> labels) {
        return changeNamespace(name, n -> new Namespace(name, labels));
    }

    /** The namespace {@code name} replaced by what {@code change} makes of it. */
    public Clusters changeNamespace(String name, UnaryOperator<Namespace> change) {
        namespaces.replaceAll(n -> n.name().equals(name) ? change.apply(n) : n);
        return this;
    }

    public ClusterSnapshot snapshot() {
        return new ClusterSnapshot(namespaces, pods, policies);
    }
}
