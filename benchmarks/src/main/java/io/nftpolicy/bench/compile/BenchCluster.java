package io.nftpolicy.bench.compile;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A generated cluster of a given number of pods and policies, compiled for node-0, and the one-object changes the
 * benchmarks time on it. Every benchmark of the compiler and of sizes builds its clusters here, so that "10k pods,
 * 2k policies" means the same cluster everywhere.
 *
 * <p>Sizes map to the generator as: {@value #NODES} nodes; namespaces = min(pods / 50, policies / 10), at least 1;
 * pods and policies shared evenly between them. So 10k pods / 2k policies is 200 namespaces of 50 pods and 10
 * policies (the README's large node), 1k / 200 is 20 of 50 and 10, 1k / 2k is 20 of 50 pods and 100 policies,
 * 10k / 200 is 20 of 500 pods and 10 policies.
 */
public record BenchCluster(ClusterGenerator.Size size, ClusterSnapshot snapshot) {
    public static final int NODES = 20;
    public static final long SEED = 1L;
    /** The node every benchmark compiles for. */
    public static final String NODE = ClusterGenerator.nodeName(0);
    /** In node-0's /18 but never handed out by the generator (which uses .2 to .251). */
    private static final String SPARE_NODE_0_ADDRESS = "10.64.63.252";

    /** A change of one object, as the agent would see it from one informer event. */
    public enum Change {
        /**
         * A pod of node-0 takes the labels of another pod of node-0 in its namespace, with another app: it leaves
         * and joins peer sets, and moves to a group of policies whose chain the node already has (and, where the
         * cluster allows, leaves a group that keeps other pods).
         */
        RELABEL_POD("relabel-pod"),
        /**
         * A pod of another node takes the labels of another pod of its namespace, with another app: on node-0, it
         * only leaves and joins peer sets. Most label changes a node sees are of this kind (19 in 20 here).
         */
        RELABEL_REMOTE_POD("relabel-remote-pod"),
        /**
         * A pod of node-0 moves to an app no pod of its namespace on node-0 has: its new group of policies needs a
         * chain the node did not have (the worst case of a relabel).
         */
        RELABEL_POD_NEW_GROUP("relabel-pod-new-group"),
        /** A pod is created on node-0, with the labels and ports of one already there. */
        ADD_POD("add-pod"),
        /** A policy is created selecting the app of a pod of node-0, from pods of a tier on a new port. */
        CREATE_POLICY("create-policy");

        private final String label;

        Change(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Change of(String label) {
            for (Change c : values()) {
                if (c.label.equals(label)) {
                    return c;
                }
            }
            throw new IllegalArgumentException("unknown change \"" + label + "\" (expected one of "
                    + java.util.Arrays.stream(values()).map(Change::label).toList() + ")");
        }
    }

    public static ClusterGenerator.Size size(int pods, int policies) {
        int namespaces = Math.max(1, Math.min(pods / 50, policies / 10));
        if (pods % namespaces != 0 || policies % namespaces != 0) {
            throw new IllegalArgumentException(pods + " pods and " + policies + " policies do not share evenly over "
                    + namespaces + " namespaces");
        }
        return new ClusterGenerator.Size(namespaces, pods / namespaces, NODES, policies / namespaces, SEED);
    }

    public static BenchCluster generate(int pods, int policies) {
        ClusterGenerator.Size size = size(pods, policies);
        return new BenchCluster(size, ClusterGenerator.generate(size));
    }

    public int pods() {
        return size.pods();
    }

    public int policies() {
        return size.policies();
    }

    /** Whether this cluster has what {@code change} needs (a relabel to a new group needs a missing app). */
    public boolean allows(Change change) {
        return change != Change.RELABEL_POD_NEW_GROUP || relabelledToNewGroup().isPresent();
    }

    /** The snapshot after {@code change}; this cluster's snapshot is the one before. */
    public ClusterSnapshot after(Change change) {
        return switch (change) {
            case RELABEL_POD -> relabel(relabelledToExistingGroup());
            case RELABEL_REMOTE_POD -> relabel(remoteRelabelled());
            case RELABEL_POD_NEW_GROUP -> relabel(relabelledToNewGroup().orElseThrow(() -> new IllegalStateException(
                    "every namespace has every app on " + NODE + " in " + size + ": no group to move a pod to")));
            case ADD_POD -> addPod();
            case CREATE_POLICY -> createPolicy();
        };
    }

    private Pod firstLocalPod() {
        return snapshot.pods().stream().filter(p -> p.nodeName().equals(NODE)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no pod on " + NODE + " in " + size));
    }

    private List<Pod> localPods() {
        return snapshot.pods().stream().filter(p -> p.nodeName().equals(NODE)).toList();
    }

    /**
     * A pod of node-0 relabelled as another pod of node-0 in its namespace with another app; preferably one whose
     * app a third pod of node-0 in the namespace shares, so that its old group does not disappear.
     */
    private Pod relabelledToExistingGroup() {
        List<Pod> local = localPods();
        Pod fallback = null;
        for (Pod pod : local) {
            for (Pod other : local) {
                if (other.namespace().equals(pod.namespace()) && !app(other).equals(app(pod))) {
                    Pod relabelled = withLabels(pod, other.labels());
                    boolean groupStays = local.stream().anyMatch(third -> third != pod
                            && third.namespace().equals(pod.namespace()) && app(third).equals(app(pod)));
                    if (groupStays) {
                        return relabelled;
                    }
                    fallback = fallback == null ? relabelled : fallback;
                }
            }
        }
        if (fallback == null) {
            throw new IllegalStateException("no two pods of one namespace with different apps on " + NODE + " in "
                    + size);
        }
        return fallback;
    }

    /** The first pod of another node than node-0, relabelled as a pod of its namespace with another app. */
    private Pod remoteRelabelled() {
        for (Pod pod : snapshot.pods()) {
            if (pod.nodeName().equals(NODE)) {
                continue;
            }
            for (Pod other : snapshot.pods()) {
                if (other.namespace().equals(pod.namespace()) && !app(other).equals(app(pod))) {
                    return withLabels(pod, other.labels());
                }
            }
        }
        throw new IllegalStateException("no pod off " + NODE + " with another app in its namespace in " + size);
    }

    private static String app(Pod pod) {
        return pod.labels().get("app");
    }

    /**
     * The first pod of node-0 that can move to an app no pod of its namespace on node-0 has; empty when every
     * namespace has every app on node-0 (large namespaces).
     */
    private Optional<Pod> relabelledToNewGroup() {
        List<Pod> local = localPods();
        for (Pod pod : local) {
            Set<String> present = local.stream().filter(p -> p.namespace().equals(pod.namespace()))
                    .map(BenchCluster::app).collect(Collectors.toSet());
            for (int app = 0; app < 10; app++) {
                if (!present.contains("app-" + app)) {
                    Map<String, String> labels = new HashMap<>(pod.labels());
                    labels.put("app", "app-" + app);
                    return Optional.of(withLabels(pod, labels));
                }
            }
        }
        return Optional.empty();
    }

    private static Pod withLabels(Pod pod, Map<String, String> labels) {
        return new Pod(pod.namespace(), pod.name(), labels, pod.nodeName(), pod.hostNetwork(), pod.phase(),
                pod.terminating(), pod.ips(), pod.ports());
    }

    private ClusterSnapshot relabel(Pod relabelled) {
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        for (int i = 0; i < pods.size(); i++) {
            if (pods.get(i).ref().equals(relabelled.ref())) {
                pods.set(i, relabelled);
            }
        }
        return new ClusterSnapshot(snapshot.namespaces(), pods, snapshot.policies());
    }

    private ClusterSnapshot addPod() {
        Pod model = firstLocalPod();
        Pod added = new Pod(model.namespace(), "bench-added", model.labels(), NODE, false, model.phase(), false,
                List.of(SPARE_NODE_0_ADDRESS), model.ports());
        List<Pod> pods = new ArrayList<>(snapshot.pods());
        pods.add(added);
        return new ClusterSnapshot(snapshot.namespaces(), pods, snapshot.policies());
    }

    /** A policy selecting the app of the first pod of node-0, in its namespace: node-0's ruleset must change. */
    private ClusterSnapshot createPolicy() {
        Pod subject = firstLocalPod();
        NetworkPolicy created = new NetworkPolicy(subject.namespace(), "bench-created",
                LabelSelector.matchLabels(Map.of("app", subject.labels().get("app"))), List.of("Ingress"),
                List.of(new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.matchLabels(Map.of("tier", "backend")))),
                        List.of(PolicyPort.tcp(8443)))),
                List.of());
        List<NetworkPolicy> policies = new ArrayList<>(snapshot.policies());
        policies.add(created);
        return new ClusterSnapshot(snapshot.namespaces(), snapshot.pods(), policies);
    }
}
