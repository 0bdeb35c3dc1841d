package io.nftpolicy.agent;

import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.deploy.Repository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

/**
 * fabric8's mock API server in CRUD mode, with the NodePolicyStatus CRD installed (so that its status subresource
 * behaves as on a real API server), a client on it, and builders for the objects the agent reads.
 */
public final class MockCluster implements AutoCloseable {
    /** The mock server logs every request at INFO through java.util.logging (held here: JUL keeps loggers weakly). */
    private static final java.util.logging.Logger MOCK_LOG = java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

    static {
        MOCK_LOG.setLevel(Level.WARNING);
    }

    private final KubernetesMockServer server;
    private final KubernetesClient client;

    public MockCluster() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        try {
            CustomResourceDefinition crd = client.getKubernetesSerialization().unmarshal(
                    Files.readString(Repository.path("crds/nodepolicystatuses.nftpolicy.io-v1.yml")),
                    CustomResourceDefinition.class);
            client.apiextensions().v1().customResourceDefinitions().resource(crd).create();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public KubernetesClient client() {
        return client;
    }

    /** A second client on the same server (the agent's, while the test writes with {@link #client()}). */
    public KubernetesClient newClient() {
        return server.createClient();
    }

    /**
     * A client that reaches the server through {@code masterUrl} (a proxy in front of it), with WebSocket pings
     * every {@code pingMillis}: a watch whose connection is closed under it may not notice until its next ping
     * fails (the JDK WebSocket does not always report the end of the stream), 30 s by default.
     */
    public KubernetesClient newClient(String masterUrl, long pingMillis) {
        return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(
                new io.fabric8.kubernetes.client.ConfigBuilder(client.getConfiguration()).withMasterUrl(masterUrl)
                        .withWebsocketPingInterval(pingMillis).build()).build();
    }

    /** The server's host and port. */
    public java.net.URI uri() {
        return java.net.URI.create(client.getMasterUrl().toString());
    }

    // ---- writing objects ----

    /**
     * The agent's own Node, created when absent, without labels or addresses: the agent reconciles its Node, as a
     * kubelet would have registered it.
     */
    public static void ensureNode(KubernetesClient client, String name) {
        if (client.nodes().withName(name).get() == null) {
            client.nodes().resource(new io.fabric8.kubernetes.api.model.NodeBuilder().withNewMetadata()
                    .withName(name).endMetadata().build()).create();
        }
    }

    public Namespace namespace(String name, Map<String, String> labels) {
        return client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name)
                .withLabels(withName(name, labels)).endMetadata().build()).create();
    }

    private static Map<String, String> withName(String name, Map<String, String> labels) {
        Map<String, String> all = new HashMap<>(labels);
        all.put("kubernetes.io/metadata.name", name);
        return all;
    }

    public Pod pod(String namespace, String name, String node, String ip, Map<String, String> labels) {
        return client.pods().inNamespace(namespace).resource(podObject(namespace, name, node, ip, labels)).create();
    }

    public static Pod podObject(String namespace, String name, String node, String ip, Map<String, String> labels) {
        return new PodBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).withLabels(labels).endMetadata()
                .withNewSpec().withNodeName(node)
                .addNewContainer().withName("main").withImage("registry.example/app:1")
                .withPorts(new ContainerPortBuilder().withName("http").withContainerPort(8080).build())
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP(ip).addNewPodIP().withIp(ip).endPodIP().endStatus()
                .build();
    }

    public void label(String namespace, String pod, String key, String value) {
        client.pods().inNamespace(namespace).withName(pod).edit(p -> {
            p.getMetadata().getLabels().put(key, value);
            return p;
        });
    }

    public void deletePod(String namespace, String name) {
        client.pods().inNamespace(namespace).withName(name).delete();
    }

    /** {@code namespace/name}: ingress to pods {@code selector} from pods {@code from} of its namespace on 8080. */
    public NetworkPolicy allowFrom(String namespace, String name, Map<String, String> selector, Map<String, String> from) {
        return create(policyObject(namespace, name, selector, from));
    }

    public static NetworkPolicy policyObject(String namespace, String name, Map<String, String> selector,
                                      Map<String, String> from) {
        return new NetworkPolicyBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec()
                .withPodSelector(selector(selector))
                .withPolicyTypes("Ingress")
                .withIngress(new NetworkPolicyIngressRuleBuilder()
                        .withFrom(new NetworkPolicyPeerBuilder().withPodSelector(selector(from)).build())
                        .addNewPort().withProtocol("TCP").withNewPort(8080).endPort()
                        .build())
                .endSpec()
                .build();
    }

    /** A policy whose ipBlock is not a CIDR: the compiler rejects it (its pods stay isolated). */
    public NetworkPolicy invalid(String namespace, String name, Map<String, String> selector) {
        return create(new NetworkPolicyBuilder()
                .withNewMetadata().withNamespace(namespace).withName(name).endMetadata()
                .withNewSpec()
                .withPodSelector(selector(selector))
                .withIngress(new NetworkPolicyIngressRuleBuilder()
                        .withFrom(new NetworkPolicyPeerBuilder().withNewIpBlock().withCidr("10.0.0.0/33")
                                .endIpBlock().build())
                        .build())
                .endSpec()
                .build());
    }

    /** Creates every object of {@code cluster} (a generated one): namespaces, then pods, then policies, 8 at a time. */
    public void load(io.nftpolicy.cluster.ClusterSnapshot cluster) {
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(8);
        try {
            pool.submit(() -> cluster.namespaces().parallelStream()
                    .forEach(n -> client.namespaces().resource(ToKubernetes.namespace(n)).create())).get();
            pool.submit(() -> cluster.pods().parallelStream()
                    .forEach(p -> client.pods().inNamespace(p.namespace()).resource(ToKubernetes.pod(p))
                            .create())).get();
            pool.submit(() -> cluster.policies().parallelStream()
                    .forEach(p -> create(ToKubernetes.policy(p)))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("loading the cluster into the mock server", e.getCause());
        } finally {
            pool.shutdown();
        }
    }

    public NetworkPolicy create(NetworkPolicy policy) {
        return client.network().v1().networkPolicies().inNamespace(policy.getMetadata().getNamespace())
                .resource(policy).create();
    }

    public void deletePolicy(String namespace, String name) {
        client.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
    }

    public static LabelSelector selector(Map<String, String> labels) {
        return new LabelSelectorBuilder().withMatchLabels(labels).build();
    }

    // ---- reading what the agent wrote ----

    public NodePolicyStatus status(String node) {
        return client.resources(NodePolicyStatus.class).withName(node).get();
    }

    public List<Event> events(String namespace) {
        return client.v1().events().inNamespace(namespace).list().getItems();
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }
}
