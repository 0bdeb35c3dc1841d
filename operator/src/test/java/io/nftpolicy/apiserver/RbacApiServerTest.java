package io.nftpolicy.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.nftpolicy.agent.MockCluster;
import io.nftpolicy.agent.cache.ClusterPolicyApi;
import io.nftpolicy.agent.reporting.ClusterPolicyConditions;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodeSyncStatus;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Least privilege, enforced by kube-apiserver's RBAC for the agent's own ServiceAccount (deploy/base/rbac.yaml):
 * asked of the authorizer with {@code kubectl auth can-i --as}, and tried with real requests carrying a token
 * from the TokenRequest API ({@code kubectl create token}).
 */
@ExtendWith(ControlPlane.Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RbacApiServerTest {
    private static final String NS = "rbac-test";
    private static final String NODE = "rbac-node";

    private ControlPlane cluster;
    private KubernetesClient admin;
    private KubernetesClient agent;

    @BeforeAll
    void deployAndLogInAsTheAgent() {
        cluster = ControlPlane.get();
        Deployment.applyBase(cluster);
        admin = cluster.adminClient();
        admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NS).endMetadata().build())
                .serverSideApply();
        admin.nodes().resource(new NodeBuilder().withNewMetadata().withName(NODE).endMetadata().build())
                .serverSideApply();
        admin.secrets().inNamespace(NS).resource(new SecretBuilder().withNewMetadata().withName("credentials")
                .endMetadata().addToStringData("password", "secret").build()).serverSideApply();
        admin.network().v1().networkPolicies().inNamespace(NS)
                .resource(MockCluster.policyObject(NS, "existing", Map.of("app", "db"), Map.of("app", "web")))
                .serverSideApply();
        NetworkPolicyApiCrds.install(cluster);
        admin.genericKubernetesResources(CNP).resource(clusterPolicy("existing")).serverSideApply();
        agent = ControlPlane.clientFor(Deployment.agentKubeconfig(cluster, "agent-rbac"));
    }

    private static final io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext CNP =
            new ClusterPolicyApi("v1beta1").context();

    private static GenericKubernetesResource clusterPolicy(String name) {
        GenericKubernetesResource object = new GenericKubernetesResource();
        object.setApiVersion(new ClusterPolicyApi("v1beta1").apiVersion());
        object.setKind(ClusterPolicyApi.KIND);
        object.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName(name).build());
        object.setAdditionalProperty("spec", Map.of("tier", "Baseline", "priority", 100,
                "subject", Map.of("namespaces", Map.of("matchLabels", Map.of("kubernetes.io/metadata.name", NS))),
                "ingress", List.of(Map.of("action", "Deny", "from", List.of(Map.of("namespaces", Map.of()))))));
        return object;
    }

    @AfterAll
    void cleanUp() {
        if (admin != null) {
            admin.namespaces().withName(NS).delete();
            admin.nodes().withName(NODE).delete();
            admin.genericKubernetesResources(CNP).withName("existing").delete();
            admin.resources(NodePolicyStatus.class).withName(NODE).delete();
            admin.close();
        }
        if (agent != null) {
            agent.close();
        }
    }

    @ParameterizedTest(name = "can {0} {1} {2}")
    @CsvSource({
            "list, pods, ''", "watch, pods, ''", "get, pods, ''",
            "list, namespaces, ''", "watch, namespaces, ''",
            "list, networkpolicies.networking.k8s.io, ''", "watch, networkpolicies.networking.k8s.io, ''",
            "get, nodes, ''", "list, nodes, ''", "watch, nodes, ''",
            "list, clusternetworkpolicies.policy.networking.k8s.io, ''",
            "watch, clusternetworkpolicies.policy.networking.k8s.io, ''",
            "update, clusternetworkpolicies.policy.networking.k8s.io, status",
            "create, events, ''", "patch, events, ''", "create, events.events.k8s.io, ''",
            "create, nodepolicystatuses.nftpolicy.io, ''", "update, nodepolicystatuses.nftpolicy.io, status",
            "patch, nodepolicystatuses.nftpolicy.io, status"})
    void theAuthorizerAllows(String verb, String resource, String subresource) {
        assertThat(canI(verb, resource, subresource)).isEqualTo("yes");
    }

    @ParameterizedTest(name = "cannot {0} {1} {2}")
    @CsvSource({
            "create, networkpolicies.networking.k8s.io, ''", "update, networkpolicies.networking.k8s.io, ''",
            "patch, networkpolicies.networking.k8s.io, ''", "delete, networkpolicies.networking.k8s.io, ''",
            "create, pods, ''", "update, pods, ''", "delete, pods, ''", "update, pods, status",
            "create, namespaces, ''", "update, namespaces, ''", "delete, namespaces, ''",
            "create, nodes, ''", "update, nodes, ''", "delete, nodes, ''",
            "get, clusternetworkpolicies.policy.networking.k8s.io, ''",
            "create, clusternetworkpolicies.policy.networking.k8s.io, ''",
            "update, clusternetworkpolicies.policy.networking.k8s.io, ''",
            "patch, clusternetworkpolicies.policy.networking.k8s.io, ''",
            "patch, clusternetworkpolicies.policy.networking.k8s.io, status",
            "delete, clusternetworkpolicies.policy.networking.k8s.io, ''",
            "list, leases.coordination.k8s.io, ''", "update, leases.coordination.k8s.io, ''",
            "get, secrets, ''", "list, secrets, ''", "watch, secrets, ''",
            "create, configmaps, ''", "create, serviceaccounts, token", "delete, nodepolicystatuses.nftpolicy.io, ''",
            "delete, events, ''", "create, clusterrolebindings.rbac.authorization.k8s.io, ''"})
    void theAuthorizerDenies(String verb, String resource, String subresource) {
        assertThat(canI(verb, resource, subresource)).isEqualTo("no");
    }

    /** The Lease of the condition writer: by name, in the agent's namespace only; create anywhere in it. */
    @ParameterizedTest(name = "in {0}: {1} {2} -> {3}")
    @CsvSource({
            "nftpolicy-system, get, leases.coordination.k8s.io/" + ClusterPolicyConditions.LEASE + ", yes",
            "nftpolicy-system, patch, leases.coordination.k8s.io/" + ClusterPolicyConditions.LEASE + ", yes",
            "nftpolicy-system, create, leases.coordination.k8s.io, yes",
            "nftpolicy-system, update, leases.coordination.k8s.io/" + ClusterPolicyConditions.LEASE + ", no",
            "nftpolicy-system, delete, leases.coordination.k8s.io/" + ClusterPolicyConditions.LEASE + ", no",
            "nftpolicy-system, get, leases.coordination.k8s.io/another, no",
            "nftpolicy-system, patch, leases.coordination.k8s.io/another, no",
            "kube-system, get, leases.coordination.k8s.io/kube-controller-manager, no",
            "kube-system, patch, leases.coordination.k8s.io/kube-controller-manager, no",
            "default, create, leases.coordination.k8s.io, no",
            "default, get, leases.coordination.k8s.io/" + ClusterPolicyConditions.LEASE + ", no"})
    void onLeasesTheAuthorizerAllowsOnlyTheElectionsOwn(String namespace, String verb, String resource,
                                                         String answer) {
        CommandResult result = cluster.kubectlResult("auth", "can-i", verb, resource, "--as=" + Deployment.USER,
                "-n", namespace);
        assertThat(result.stdout().strip()).isEqualTo(answer);
    }

    @Test
    void withItsTokenTheAgentWritesAClusterNetworkPolicysConditionButNotItsSpec() {
        GenericKubernetesResource policy = admin.genericKubernetesResources(CNP).withName("existing").get();
        policy.setAdditionalProperty("status", Map.of("conditions", List.of(Map.of("type", "nftpolicy.io/Accepted",
                "status", "True", "reason", "Accepted", "message", "written with the agent's token",
                "lastTransitionTime", "2026-12-07T00:00:00Z"))));
        GenericKubernetesResource written = agent.genericKubernetesResources(CNP).resource(policy).updateStatus();
        assertThat(written.getAdditionalProperties().get("status").toString()).contains("written with the agent's token");

        GenericKubernetesResource relabelled = admin.genericKubernetesResources(CNP).withName("existing").get();
        relabelled.getMetadata().setLabels(Map.of("changed", "yes"));
        KubernetesClientException spec = catchThrowableOfType(KubernetesClientException.class,
                () -> agent.genericKubernetesResources(CNP).resource(relabelled).update());
        assertThat(spec.getCode()).isEqualTo(403);
    }

    private String canI(String verb, String resource, String subresource) {
        List<String> args = new java.util.ArrayList<>(List.of("auth", "can-i", verb, resource,
                "--as=" + Deployment.USER, "--all-namespaces"));
        if (!subresource.isEmpty()) {
            args.add("--subresource=" + subresource);
        }
        CommandResult result = cluster.kubectlResult(args.toArray(String[]::new));
        return result.stdout().strip();
    }

    @Test
    void withItsTokenTheAgentListsAndWatchesWhatItReadsAndGetsItsNode() throws Exception {
        assertThat(agent.pods().inAnyNamespace().list().getItems()).isNotNull();
        assertThat(agent.namespaces().list().getItems()).extracting(n -> n.getMetadata().getName()).contains(NS);
        assertThat(agent.network().v1().networkPolicies().inAnyNamespace().list().getItems())
                .extracting(p -> p.getMetadata().getName()).contains("existing");
        assertThat(agent.nodes().withName(NODE).get().getMetadata().getName()).isEqualTo(NODE);
        assertThat(agent.nodes().list().getItems()).extracting(n -> n.getMetadata().getName()).contains(NODE);
        assertThat(agent.genericKubernetesResources(CNP).list().getItems())
                .extracting(p -> p.getMetadata().getName()).contains("existing");
        try (Watch pods = agent.pods().inAnyNamespace().watch(new Ignore<>());
             Watch namespaces = agent.namespaces().watch(new Ignore<>());
             Watch policies = agent.network().v1().networkPolicies().inAnyNamespace().watch(new Ignore<>());
             Watch nodes = agent.nodes().watch(new Ignore<>());
             Watch clusterPolicies = agent.genericKubernetesResources(CNP).watch(new Ignore<>())) {
            assertThat(List.of(pods, namespaces, policies, nodes, clusterPolicies)).hasSize(5);
        }
    }

    @TestFactory
    Stream<DynamicTest> withItsTokenEveryWriteOutsideItsStatusAndEventsIsForbidden() {
        Pod pod = MockCluster.podObject(NS, "intruder", NODE, "10.244.9.9", Map.of("app", "x"));
        Map<String, ThrowingCallable> requests = new java.util.LinkedHashMap<>();
        requests.put("create a NetworkPolicy", () -> agent.network().v1().networkPolicies().inNamespace(NS)
                .resource(MockCluster.policyObject(NS, "new", Map.of(), Map.of())).create());
        requests.put("update a NetworkPolicy", () -> agent.network().v1().networkPolicies().inNamespace(NS)
                .withName("existing").edit(p -> {
                    p.getMetadata().setLabels(Map.of("changed", "yes"));
                    return p;
                }));
        requests.put("delete a NetworkPolicy", () -> agent.network().v1().networkPolicies().inNamespace(NS)
                .withName("existing").delete());
        requests.put("create a Pod", () -> agent.pods().inNamespace(NS).resource(pod).create());
        requests.put("delete a Pod", () -> agent.pods().inNamespace(NS).withName("any").delete());
        requests.put("create a Namespace", () -> agent.namespaces().resource(new NamespaceBuilder()
                .withNewMetadata().withName("agent-made").endMetadata().build()).create());
        requests.put("delete a Namespace", () -> agent.namespaces().withName(NS).delete());
        requests.put("create a Node", () -> agent.nodes().resource(new NodeBuilder().withNewMetadata()
                .withName("agent-node").endMetadata().build()).create());
        requests.put("update a Node", () -> agent.nodes().withName(NODE).edit(n -> {
            n.getMetadata().setLabels(Map.of("changed", "yes"));
            return n;
        }));
        requests.put("delete a Node", () -> agent.nodes().withName(NODE).delete());
        requests.put("create a ClusterNetworkPolicy", () -> agent.genericKubernetesResources(CNP)
                .resource(clusterPolicy("agent-made")).create());
        requests.put("delete a ClusterNetworkPolicy", () -> agent.genericKubernetesResources(CNP)
                .withName("existing").delete());
        requests.put("read a Secret", () -> agent.secrets().inNamespace(NS).withName("credentials").get());
        requests.put("list Secrets", () -> agent.secrets().inAnyNamespace().list());
        requests.put("create a ConfigMap", () -> agent.configMaps().inNamespace(NS).resource(new ConfigMapBuilder()
                .withNewMetadata().withName("agent-made").endMetadata().build()).create());
        return requests.entrySet().stream().map(request -> DynamicTest.dynamicTest(request.getKey(), () -> {
            KubernetesClientException error = catchThrowableOfType(KubernetesClientException.class,
                    request.getValue());
            assertThat(error).as(request.getKey()).isNotNull();
            assertThat(error.getCode()).as(error.getMessage()).isEqualTo(403);
        }));
    }

    @Test
    void withItsTokenTheAgentWritesItsNodePolicyStatusAndEvents() {
        var statuses = agent.resources(NodePolicyStatus.class);
        NodePolicyStatus created = statuses.resource(NodePolicyStatus.forNode(NODE)).create();
        created.setStatus(new NodeSyncStatus("abc", null, null, null, null, List.of(), null, List.of()));
        assertThat(statuses.resource(created).updateStatus().getStatus().appliedRulesetHash()).isEqualTo("abc");

        var event = agent.v1().events().inNamespace(NS).resource(new EventBuilder().withNewMetadata()
                        .withName("existing.rbac-test").endMetadata()
                        .withNewInvolvedObject().withKind("NetworkPolicy").withNamespace(NS).withName("existing")
                        .endInvolvedObject().withReason("Test").withMessage("written with the agent's token")
                        .withType("Normal").build()).create();
        assertThat(event.getMetadata().getUid()).isNotEmpty();

        KubernetesClientException delete = catchThrowableOfType(KubernetesClientException.class,
                () -> statuses.withName(NODE).delete());
        assertThat(delete.getCode()).isEqualTo(403);
    }

    /** A watcher for a watch that is only opened (authorization happens when it starts). */
    private static final class Ignore<T> implements Watcher<T> {
        @Override
        public void eventReceived(Action action, T resource) {
        }

        @Override
        public void onClose(WatcherException cause) {
        }
    }
}
