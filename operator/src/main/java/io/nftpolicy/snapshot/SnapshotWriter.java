package io.nftpolicy.snapshot;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KubernetesList;
import io.fabric8.kubernetes.api.model.KubernetesListBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlockBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPortBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The compiler's records as the Kubernetes objects they stand for: the inverse of {@link SnapshotConverter}, so that
 * a snapshot written here and read back by {@link SnapshotReader} converts to an equal {@link ClusterSnapshot}.
 * Used by {@code nftpolicy generate} to write generated clusters, and by tests to load them into an API server.
 *
 * <p>Only what the converter reads is written: labels, node, phase, addresses and container ports of pods (one
 * container, "main"), and policies in full.
 */
public final class SnapshotWriter {
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private SnapshotWriter() {}

    /**
     * A {@code kind: List} of the namespaces, pods and policies, in that order (namespaces before what lives in
     * them), as {@code kubectl get namespaces,pods,networkpolicies -A -o yaml} prints one.
     */
    public static String toYaml(ClusterSnapshot snapshot) {
        return SERIALIZATION.asYaml(list(snapshot));
    }

    /** The same list as {@link #toYaml}, as {@code -o json} prints it. */
    public static String toJson(ClusterSnapshot snapshot) {
        return SERIALIZATION.asJson(list(snapshot)) + "\n";
    }

    public static KubernetesList list(ClusterSnapshot snapshot) {
        List<HasMetadata> items = new ArrayList<>(
                snapshot.namespaces().size() + snapshot.pods().size() + snapshot.policies().size());
        snapshot.namespaces().forEach(n -> items.add(namespace(n)));
        snapshot.pods().forEach(p -> items.add(pod(p)));
        snapshot.policies().forEach(p -> items.add(policy(p)));
        return new KubernetesListBuilder().withItems(items).build();
    }

    public static io.fabric8.kubernetes.api.model.Namespace namespace(Namespace ns) {
        return new NamespaceBuilder().withNewMetadata().withName(ns.name()).withLabels(ns.labels())
                .withAnnotations(ns.annotations().isEmpty() ? null : ns.annotations()).endMetadata().build();
    }

    public static io.fabric8.kubernetes.api.model.Pod pod(Pod pod) {
        var container = new ContainerBuilder().withName("main").withImage("registry.example/app:1");
        for (ContainerPort port : pod.ports()) {
            container.addNewPort().withName(port.name().isEmpty() ? null : port.name())
                    .withContainerPort(port.port()).withProtocol(port.protocol().name()).endPort();
        }
        return new PodBuilder()
                .withNewMetadata().withNamespace(pod.namespace()).withName(pod.name()).withLabels(pod.labels())
                // A uid derived from the name is what reading the object without one gives back.
                .withUid(pod.uid().equals(Pod.derivedUid(pod.namespace(), pod.name())) ? null : pod.uid())
                .withCreationTimestamp(pod.creationTimestamp() == null ? null : pod.creationTimestamp().toString())
                .endMetadata()
                .withNewSpec().withNodeName(pod.nodeName().isEmpty() ? null : pod.nodeName())
                .withHostNetwork(pod.hostNetwork() ? true : null)
                .withContainers(container.build()).endSpec()
                .withNewStatus().withPhase(phase(pod.phase()))
                .withPodIP(pod.ips().isEmpty() ? null : pod.ips().get(0))
                .withPodIPs(pod.ips().stream().map(ip -> new PodIPBuilder().withIp(ip).build()).toList())
                .endStatus()
                .build();
    }

    private static String phase(PodPhase phase) {
        return switch (phase) {
            case PENDING -> "Pending";
            case RUNNING -> "Running";
            case SUCCEEDED -> "Succeeded";
            case FAILED -> "Failed";
            case UNKNOWN -> "Unknown";
        };
    }

    public static io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy policy(NetworkPolicy policy) {
        var spec = new NetworkPolicyBuilder()
                .withNewMetadata().withNamespace(policy.namespace()).withName(policy.name())
                .withAnnotations(policy.staged() ? Map.of(NetworkPolicy.STAGED_ANNOTATION, "true") : null)
                .endMetadata()
                .withNewSpec()
                .withPodSelector(selector(policy.podSelector()))
                .withPolicyTypes(policy.policyTypes().isEmpty() ? null : policy.policyTypes());
        for (var rule : policy.ingress()) {
            spec.addToIngress(new NetworkPolicyIngressRuleBuilder()
                    .withFrom(rule.peers().stream().map(SnapshotWriter::peer).toList())
                    .withPorts(rule.ports().stream().map(SnapshotWriter::port).toList())
                    .build());
        }
        for (var rule : policy.egress()) {
            spec.addToEgress(new NetworkPolicyEgressRuleBuilder()
                    .withTo(rule.peers().stream().map(SnapshotWriter::peer).toList())
                    .withPorts(rule.ports().stream().map(SnapshotWriter::port).toList())
                    .build());
        }
        return spec.endSpec().build();
    }

    private static NetworkPolicyPeer peer(PolicyPeer peer) {
        var out = new NetworkPolicyPeerBuilder();
        peer.podSelector().ifPresent(s -> out.withPodSelector(selector(s)));
        peer.namespaceSelector().ifPresent(s -> out.withNamespaceSelector(selector(s)));
        peer.ipBlock().ifPresent(b -> out.withIpBlock(new IPBlockBuilder().withCidr(b.cidr())
                .withExcept(b.except().isEmpty() ? null : b.except()).build()));
        return out.build();
    }

    private static NetworkPolicyPort port(PolicyPort port) {
        var out = new NetworkPolicyPortBuilder();
        port.protocol().ifPresent(out::withProtocol);
        port.port().ifPresent(p -> out.withPort(p instanceof PolicyPort.PortRef.Number n
                ? new IntOrString(n.value()) : new IntOrString(((PolicyPort.PortRef.Named) p).name())));
        port.endPort().ifPresent(out::withEndPort);
        return out.build();
    }

    private static io.fabric8.kubernetes.api.model.LabelSelector selector(LabelSelector selector) {
        List<LabelSelectorRequirement> expressions = selector.matchExpressions().stream()
                .map(r -> new LabelSelectorRequirementBuilder().withKey(r.key()).withOperator(r.operator())
                        .withValues(r.values().isEmpty() ? null : r.values()).build())
                .toList();
        return new LabelSelectorBuilder()
                .withMatchLabels(selector.matchLabels().isEmpty() ? null : selector.matchLabels())
                .withMatchExpressions(expressions.isEmpty() ? null : expressions)
                .build();
    }
}
