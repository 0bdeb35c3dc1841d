package io.nftpolicy.apiserver;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.reachability.Endpoint;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The upstream e2e model's cluster written through the API: namespaces x, y, z labelled ns=&lt;name&gt;, pods a, b,
 * c in each labelled pod=&lt;name&gt;, all on one node, 10.244.1.2 to 10.244.1.10 in x/a, x/b, ... z/c order.
 * There is no kubelet: a pod is created with spec.nodeName, then its status (phase Running, podIP, podIPs) is
 * written through the status subresource, as kwok does.
 */
final class UpstreamPods {
    static final String NODE = "node-1";
    static final List<String> NAMESPACES = List.of("x", "y", "z");
    static final List<String> POD_NAMES = List.of("x/a", "x/b", "x/c", "y/a", "y/b", "y/c", "z/a", "z/b", "z/c");

    private final KubernetesClient admin;

    UpstreamPods(KubernetesClient admin) {
        this.admin = admin;
    }

    static String address(String pod) {
        return "10.244.1." + (2 + POD_NAMES.indexOf(pod));
    }

    static List<LabPod> labPods(List<Endpoint> serves) {
        return POD_NAMES.stream().map(p -> new LabPod(p, NODE, List.of(address(p)), serves)).toList();
    }

    void create() {
        admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build()).create();
        for (String ns : NAMESPACES) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns)
                    .withLabels(Map.of("ns", ns)).endMetadata().build()).create();
        }
        for (String ns : NAMESPACES) {
            // The ServiceAccount admission plugin refuses pods until the controller manager made "default".
            await().atMost(Duration.ofSeconds(60)).until(
                    () -> admin.serviceAccounts().inNamespace(ns).withName("default").get() != null);
        }
        for (String pod : POD_NAMES) {
            createPod(pod);
        }
    }

    /** Creates the pod on {@link #NODE}, then marks it Running with its address, as a kubelet would. */
    void createPod(String ref) {
        createPod(ref, address(ref));
    }

    /** A pod of the API only (no lab pod behind it) with this address. */
    void createPod(String ref, String ip) {
        String[] name = ref.split("/");
        Pod created = admin.pods().inNamespace(name[0]).resource(new PodBuilder()
                .withNewMetadata().withNamespace(name[0]).withName(name[1]).withLabels(Map.of("pod", name[1]))
                .endMetadata()
                .withNewSpec().withNodeName(NODE)
                .addNewContainer().withName("main").withImage("registry.k8s.io/e2e-test-images/agnhost:2.53")
                .withPorts(port("serve-80-tcp", 80), port("serve-81-tcp", 81)).endContainer()
                .endSpec().build()).create();
        created.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running").withPodIP(ip)
                .withPodIPs(new PodIPBuilder().withIp(ip).build()).build());
        admin.pods().inNamespace(name[0]).resource(created).updateStatus();
    }

    private static io.fabric8.kubernetes.api.model.ContainerPort port(String name, int port) {
        return new ContainerPortBuilder().withName(name).withContainerPort(port).withProtocol("TCP").build();
    }

    /** Deleted at once (grace period 0): there is no kubelet to confirm a graceful deletion. */
    void deletePod(String ref) {
        String[] name = ref.split("/");
        admin.pods().inNamespace(name[0]).withName(name[1]).withGracePeriod(0).delete();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> admin.pods().inNamespace(name[0]).withName(name[1]).get() == null);
    }

    void labelPod(String ref, String key, String value) {
        String[] name = ref.split("/");
        admin.pods().inNamespace(name[0]).withName(name[1]).edit(p -> {
            Map<String, String> labels = new HashMap<>(p.getMetadata().getLabels());
            labels.put(key, value);
            p.getMetadata().setLabels(labels);
            return p;
        });
    }

    void labelNamespace(String ns, String key, String value) {
        admin.namespaces().withName(ns).edit(n -> {
            Map<String, String> labels = new HashMap<>(n.getMetadata().getLabels());
            labels.put(key, value);
            n.getMetadata().setLabels(labels);
            return n;
        });
    }

    /** Every namespace and pod back to the model's labels (and every pod there). */
    void resetLabels() {
        for (String ns : NAMESPACES) {
            labelNamespace(ns, "ns", ns);
        }
        for (String ref : POD_NAMES) {
            String[] name = ref.split("/");
            Pod pod = admin.pods().inNamespace(name[0]).withName(name[1]).get();
            if (pod == null) {
                createPod(ref);
            } else if (!pod.getMetadata().getLabels().equals(Map.of("pod", name[1]))) {
                admin.pods().inNamespace(name[0]).withName(name[1]).edit(p -> {
                    p.getMetadata().setLabels(Map.of("pod", name[1]));
                    return p;
                });
            }
        }
    }

    /** Removes the pods (at once: no kubelet would confirm), the namespaces and the node. */
    void delete() {
        for (String ns : NAMESPACES) {
            admin.pods().inNamespace(ns).withGracePeriod(0).delete();
            admin.namespaces().withName(ns).delete();
        }
        admin.nodes().withName(NODE).delete();
    }

    /**
     * A policy selecting {@code podSelector} in {@code namespace}, with one ingress rule from {@code peer}, on TCP
     * {@code port} or on every port when null.
     */
    static NetworkPolicy policy(String namespace, String name, Map<String, String> podSelector,
                                NetworkPolicyPeer peer, Integer port) {
        NetworkPolicyIngressRuleBuilder rule = new NetworkPolicyIngressRuleBuilder().withFrom(peer);
        if (port != null) {
            rule.addNewPort().withProtocol("TCP").withPort(new IntOrString(port)).endPort();
        }
        return new NetworkPolicyBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec()
                .withPodSelector(new LabelSelectorBuilder().withMatchLabels(podSelector).build())
                .withPolicyTypes("Ingress")
                .withIngress(rule.build())
                .endSpec()
                .build();
    }
}
