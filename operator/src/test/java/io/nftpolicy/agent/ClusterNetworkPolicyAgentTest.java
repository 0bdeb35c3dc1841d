package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.nftpolicy.agent.cache.ClusterPolicyApi;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.ObjectProblem;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agent and ClusterNetworkPolicy, against fabric8's mock API server (CRUD mode) and the in-memory kernel: with
 * the CRD installed, policies created through the API reach the node's table and their problems its status; without
 * it, the agent enforces NetworkPolicy as before.
 *
 * <p>The cluster: namespaces x and y; on node-1, x/a and y/b; nodes node-1 (10.0.0.1) and node-2 (10.0.0.2).
 */
class ClusterNetworkPolicyAgentTest {
    static final String NODE = "node-1";
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private MockCluster cluster;
    private FakeNft fake;
    private RecordingExecutor kernel;
    private AgentHarness harness;

    @BeforeEach
    void cluster() {
        cluster = new MockCluster();
        cluster.namespace("x", Map.of());
        cluster.namespace("y", Map.of());
        cluster.pod("x", "a", NODE, "10.244.1.10", Map.of("pod", "a"));
        cluster.pod("y", "b", NODE, "10.244.1.11", Map.of("pod", "b"));
        node("node-1", "10.0.0.1");
        node("node-2", "10.0.0.2");
        fake = new FakeNft();
        kernel = new RecordingExecutor(fake);
    }

    @AfterEach
    void stop() {
        if (harness != null) {
            harness.close();
        }
        cluster.close();
    }

    @Test
    void withoutTheCrdTheAgentWatchesNoClusterPoliciesAndEnforcesNetworkPolicyAsBefore() throws Exception {
        startAgent();

        cluster.allowFrom("x", "allow-a", Map.of("pod", "a"), Map.of("pod", "b"));

        await().atMost(TIMEOUT).until(() -> chains().stream().anyMatch(c -> c.endsWith("-x_allow-a")));
        assertThat(harness.agent.cache().clusterPolicyApi()).isEmpty();
        assertThat(harness.agent.cache().watching()).containsOnlyKeys("Namespace", "Pod", "NetworkPolicy");
        assertThat(harness.reports()).allMatch(SyncReport::succeeded);
    }

    @Test
    void anAdminDenyCreatedThroughTheApiReachesTheTable() throws Exception {
        cluster.installClusterPolicyCrd();
        startAgent();
        assertThat(harness.agent.cache().clusterPolicyApi()).contains(new ClusterPolicyApi("v1beta1"));
        assertThat(harness.agent.cache().watching()).containsOnlyKeys("Namespace", "Pod", "NetworkPolicy",
                ClusterPolicyApi.KIND, "Node");

        cluster.clusterPolicy("deny-from-y", "Admin", 10, """
                {"subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "x"}}},
                 "ingress": [{"action": "Deny", "from": [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "y"}}}]}]}
                """);

        await().atMost(TIMEOUT).until(() -> comments().contains("cnp/deny-from-y ingress[0] (Deny) Admin[10]"));
        assertThat(setElements()).contains("10.244.1.11");

        cluster.clusterPolicies().withName("deny-from-y").delete();

        await().atMost(TIMEOUT).until(() -> chains().stream().noneMatch(c -> c.startsWith("cnp-")));
    }

    @Test
    void aNodesPeerMatchesTheAddressesOfTheNodeObjects() throws Exception {
        cluster.installClusterPolicyCrd();
        startAgent();

        cluster.clusterPolicy("no-nodes", "Admin", 5, """
                {"subject": {"namespaces": {}},
                 "egress": [{"action": "Deny", "to": [{"nodes": {"matchLabels": {"kubernetes.io/hostname": "node-2"}}}]}]}
                """);

        await().atMost(TIMEOUT).until(() -> setElements().contains("10.0.0.2"));
        assertThat(setElements()).doesNotContain("10.0.0.1");

        node("node-2", "10.0.0.22");

        await().atMost(TIMEOUT).until(() -> setElements().contains("10.0.0.22"));
        assertThat(setElements()).doesNotContain("10.0.0.2");
    }

    @Test
    void anUnsupportedFieldIsReportedInTheNodeStatusAndAnEvent() throws Exception {
        cluster.installClusterPolicyCrd();
        startAgent();

        cluster.clusterPolicy("by-domain", "Admin", 20, """
                {"subject": {"namespaces": {}},
                 "egress": [{"action": "Accept", "to": [{"domainNames": ["example.com"]}]}]}
                """);

        await().atMost(TIMEOUT).untilAsserted(() -> {
            NodePolicyStatus status = cluster.status(NODE);
            assertThat(status).isNotNull();
            assertThat(status.getStatus().objectProblems()).isNotNull()
                    .filteredOn(p -> p.kind().equals(ClusterPolicyApi.KIND))
                    .extracting(ObjectProblem::object, ObjectProblem::field)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("by-domain", "spec.egress[0].to[0].domainNames"));
        });
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(cluster.events("default"))
                .anySatisfy(e -> {
                    assertThat(e.getInvolvedObject().getKind()).isEqualTo(ClusterPolicyApi.KIND);
                    assertThat(e.getInvolvedObject().getApiVersion()).isEqualTo("policy.networking.k8s.io/v1beta1");
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("by-domain");
                    assertThat(e.getMessage()).contains("domainNames");
                }));
    }

    @Test
    void aCrdInstalledAfterTheAgentStartedIsFollowedAndItsPoliciesEnforced() throws Exception {
        startAgent();
        assertThat(harness.agent.cache().clusterPolicyApi()).isEmpty();

        cluster.installClusterPolicyCrd();
        cluster.clusterPolicy("deny-from-y", "Admin", 10, """
                {"subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "x"}}},
                 "ingress": [{"action": "Deny", "from": [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "y"}}}]}]}
                """);

        await().atMost(TIMEOUT).until(() -> comments().contains("cnp/deny-from-y ingress[0] (Deny) Admin[10]"));
        assertThat(harness.agent.cache().clusterPolicyApi()).contains(new ClusterPolicyApi("v1beta1"));
        assertThat(harness.agent.cache().watching()).containsOnlyKeys("Namespace", "Pod", "NetworkPolicy",
                ClusterPolicyApi.KIND, "Node");
    }

    @Test
    void aCrdRemovedWhileTheAgentRunsIsLetGoWithItsPolicies() throws Exception {
        cluster.installClusterPolicyCrd();
        startAgent();
        cluster.clusterPolicy("deny-from-y", "Admin", 10, """
                {"subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "x"}}},
                 "ingress": [{"action": "Deny", "from": [{"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "y"}}}]}]}
                """);
        await().atMost(TIMEOUT).until(() -> comments().contains("cnp/deny-from-y ingress[0] (Deny) Admin[10]"));

        cluster.deleteClusterPolicyCrd();

        await().atMost(TIMEOUT).until(() -> chains().stream().noneMatch(c -> c.startsWith("cnp-")));
        assertThat(harness.agent.cache().clusterPolicyApi()).isEmpty();
        assertThat(harness.agent.cache().watching()).containsOnlyKeys("Namespace", "Pod", "NetworkPolicy");
        assertThat(harness.agent.cache().sizes()[3]).isZero();
        assertThat(harness.reports()).allMatch(SyncReport::succeeded);
    }

    private void startAgent() throws Exception {
        harness = AgentHarness.startFollowingClusterPolicies(cluster, NODE, kernel);
        await().atMost(TIMEOUT).until(harness.agent::ready);
    }

    private void node(String name, String internalIp) {
        cluster.client().nodes().resource(new NodeBuilder().withNewMetadata().withName(name)
                .withLabels(Map.of("kubernetes.io/hostname", name)).endMetadata()
                .withNewStatus().addNewAddress().withType("InternalIP").withAddress(internalIp).endAddress()
                .addNewAddress().withType("Hostname").withAddress(name).endAddress().endStatus().build())
                .createOr(existing -> existing.update());
    }

    private Optional<Ruleset> table() {
        return new CommittedTable(kernel, fake).ruleset();
    }

    private List<String> chains() {
        return new CommittedTable(kernel, fake).chainNames();
    }

    private List<String> comments() {
        return table().map(r -> r.chains().stream().flatMap(c -> c.rules().stream()).map(Rule::comment).toList())
                .orElse(List.of());
    }

    private List<String> setElements() {
        return table().map(r -> r.sets().stream().filter(s -> s.name().startsWith("cnp-"))
                .flatMap(s -> s.elements().stream().map(e -> e.keyToNft())).toList()).orElse(List.of());
    }
}
