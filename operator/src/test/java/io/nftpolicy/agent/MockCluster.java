package io.nftpolicy.agent;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersionBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.NonNamespaceOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.agent.cache.ClusterPolicyApi;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.deploy.Repository;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.snapshot.SnapshotWriter;
import io.nftpolicy.testing.PodFixture;
import io.nftpolicy.testing.Policies;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;

/**
 * fabric8's mock API server in CRUD mode, with the NodePolicyStatus CRD installed (so that its status subresource
 * behaves as on a real API server), a client on it, and the objects the agent reads: written with the snapshot-fixture
 * DSL ({@link PodFixture}, {@link Policies}) and turned into Kubernetes objects by {@link SnapshotWriter}.
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
        return client.namespaces().resource(SnapshotWriter.namespace(new io.nftpolicy.cluster.Namespace(name, labels)))
                .create();
    }

    public Pod pod(String namespace, String name, String node, String ip, Map<String, String> labels) {
        return client.pods().inNamespace(namespace).resource(podObject(namespace, name, node, ip, labels)).create();
    }

    /** A running pod with one address and container port http 8080/TCP. */
    public static Pod podObject(String namespace, String name, String node, String ip, Map<String, String> labels) {
        return SnapshotWriter.pod(PodFixture.pod(namespace + "/" + name).on(node).ips(ip).labels(labels)
                .port("http", 8080, Protocol.TCP).build());
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
        return SnapshotWriter.policy(Policies.ingress(namespace + "/" + name, LabelSelector.matchLabels(selector),
                new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.matchLabels(from))), List.of(PolicyPort.tcp(8080)))));
    }

    /** A policy whose ipBlock is not a CIDR: the compiler rejects it (its pods stay isolated). */
    public NetworkPolicy invalid(String namespace, String name, Map<String, String> selector) {
        return create(SnapshotWriter.policy(Policies.policy(namespace + "/" + name, LabelSelector.matchLabels(selector),
                List.of(), List.of(new PolicyRule(List.of(PolicyPeer.ipBlock("10.0.0.0/33")), List.of())), List.of())));
    }

    /** Creates every object of {@code cluster} (a generated one): namespaces, then pods, then policies, 8 at a time. */
    public void load(io.nftpolicy.cluster.ClusterSnapshot cluster) {
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(8);
        try {
            pool.submit(() -> cluster.namespaces().parallelStream()
                    .forEach(n -> once(() -> client.namespaces().resource(SnapshotWriter.namespace(n)).create())))
                    .get();
            pool.submit(() -> cluster.pods().parallelStream()
                    .forEach(p -> once(() -> client.pods().inNamespace(p.namespace()).resource(SnapshotWriter.pod(p))
                            .create()))).get();
            pool.submit(() -> cluster.policies().parallelStream()
                    .forEach(p -> once(() -> create(SnapshotWriter.policy(p))))).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("loading the cluster into the mock server", e.getCause());
        } finally {
            pool.shutdown();
        }
    }

    /**
     * A create that the client may have sent twice: on a loaded machine a request can time out after the server
     * took it, and the client's retry then meets 409 AlreadyExists (a 10,000-pod load failed so on 2026-12-07).
     */
    private static void once(Runnable create) {
        try {
            create.run();
        } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
        }
    }

    public NetworkPolicy create(NetworkPolicy policy) {
        return client.network().v1().networkPolicies().inNamespace(policy.getMetadata().getNamespace())
                .resource(policy).create();
    }

    public void deletePolicy(String namespace, String name) {
        client.network().v1().networkPolicies().inNamespace(namespace).withName(name).delete();
    }

    public static io.fabric8.kubernetes.api.model.LabelSelector selector(Map<String, String> labels) {
        return new LabelSelectorBuilder().withMatchLabels(labels).build();
    }

    // ---- ClusterNetworkPolicy ----

    /**
     * network-policy-api v0.3.0's ClusterNetworkPolicy CRD as the mock server needs it: its group, names, served
     * versions and status subresource (the mock server serves discovery and /status from the CRDs it holds).
     */
    public void installClusterPolicyCrd() {
        List<CustomResourceDefinitionVersion> versions = java.util.stream.Stream.of("v1alpha2", "v1beta1")
                .map(v -> new CustomResourceDefinitionVersionBuilder().withName(v).withServed(true)
                        .withStorage(v.equals("v1beta1")).withNewSubresources().withNewStatus().endStatus()
                        .endSubresources().build())
                .toList();
        client.apiextensions().v1().customResourceDefinitions().resource(new CustomResourceDefinitionBuilder()
                .withNewMetadata().withName(CLUSTER_POLICY_CRD).endMetadata()
                .withNewSpec().withGroup(ClusterPolicyApi.GROUP).withScope("Cluster")
                .withNewNames().withKind(ClusterPolicyApi.KIND).withPlural(ClusterPolicyApi.PLURAL)
                .withSingular("clusternetworkpolicy").withListKind("ClusterNetworkPolicyList").endNames()
                .withVersions(versions).endSpec().build()).create();
    }

    public void deleteClusterPolicyCrd() {
        client.apiextensions().v1().customResourceDefinitions().withName(CLUSTER_POLICY_CRD).delete();
    }

    private static final String CLUSTER_POLICY_CRD = ClusterPolicyApi.PLURAL + "." + ClusterPolicyApi.GROUP;

    /** ClusterNetworkPolicies in v1beta1. */
    public NonNamespaceOperation<GenericKubernetesResource, GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>> clusterPolicies() {
        return client.genericKubernetesResources(new ClusterPolicyApi("v1beta1").context());
    }

    /** Creates a v1beta1 ClusterNetworkPolicy: {@code specJson} with the tier and priority added. */
    public GenericKubernetesResource clusterPolicy(String name, String tier, int priority, String specJson) {
        @SuppressWarnings("unchecked")
        Map<String, Object> spec = new java.util.LinkedHashMap<>(
                client.getKubernetesSerialization().unmarshal(specJson, Map.class));
        spec.put("tier", tier);
        spec.put("priority", priority);
        GenericKubernetesResource object = new GenericKubernetesResource();
        object.setApiVersion(new ClusterPolicyApi("v1beta1").apiVersion());
        object.setKind(ClusterPolicyApi.KIND);
        object.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
        object.setAdditionalProperty("spec", spec);
        return clusterPolicies().resource(object).create();
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
