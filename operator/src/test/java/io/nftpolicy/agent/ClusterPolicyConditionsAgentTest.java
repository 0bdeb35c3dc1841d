package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.nftpolicy.agent.reporting.AcceptedCondition;
import io.nftpolicy.agent.reporting.ClusterPolicyConditions;
import io.nftpolicy.backend.sync.FakeNft;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each ClusterNetworkPolicy's nftpolicy.io/Accepted condition, written by the one agent that holds the Lease,
 * against fabric8's mock API server (CRUD mode, the CRD with its status subresource).
 */
class ClusterPolicyConditionsAgentTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String BY_DOMAIN = """
            {"subject": {"namespaces": {}},
             "egress": [{"action": "Accept", "to": [{"domainNames": ["example.com"]}]}]}
            """;
    private static final String DENY_NETWORK = """
            {"subject": {"namespaces": {}},
             "egress": [{"action": "Deny", "to": [{"networks": ["192.0.2.0/24"]}]}]}
            """;

    private MockCluster cluster;
    private final List<AgentHarness> agents = new ArrayList<>();

    @BeforeEach
    void cluster() {
        cluster = new MockCluster();
        cluster.namespace("x", Map.of());
        cluster.pod("x", "a", "node-1", "10.244.1.10", Map.of("pod", "a"));
        cluster.installClusterPolicyCrd();
    }

    @AfterEach
    void stop() {
        agents.forEach(AgentHarness::close);
        cluster.close();
    }

    @Test
    void aDomainNamesPolicyIsNotAcceptedAndTheConditionSaysWhy() throws Exception {
        startAgent("node-1");

        cluster.clusterPolicy("by-domain", "Admin", 20, BY_DOMAIN);

        Map<String, Object> condition = awaitCondition("by-domain", "False");
        assertThat(condition).containsEntry("reason", "UnsupportedField")
                .containsEntry("message", "spec.egress[0].to[0].domainNames: not supported by nftpolicy (treated as "
                        + "a peer it does not know) (the rule matches nothing)")
                .containsKeys("lastTransitionTime", "observedGeneration");
    }

    @Test
    void aValidPolicyIsAcceptedAndTheConditionsOfOthersStay() throws Exception {
        GenericKubernetesResource policy = cluster.clusterPolicy("deny-doc", "Baseline", 5, DENY_NETWORK);
        policy.setAdditionalProperty("status", Map.of("conditions", List.of(Map.of("type", "example.com/Programmed",
                "status", "True", "reason", "Programmed", "message", "", "lastTransitionTime",
                "2026-01-01T00:00:00Z"))));
        cluster.clusterPolicies().resource(policy).updateStatus();
        startAgent("node-1");

        awaitCondition("deny-doc", "True");

        assertThat(conditions("deny-doc")).extracting(c -> c.get("type"))
                .containsExactlyInAnyOrder("example.com/Programmed", AcceptedCondition.TYPE);
    }

    @Test
    void onlyTheAgentHoldingTheLeaseWritesAndOnlyWhatChanged() throws Exception {
        startAgent("node-1");
        startAgent("node-2");
        await().atMost(TIMEOUT).until(() -> leaders().size() == 1);
        AgentHarness leader = leaders().get(0);
        AgentHarness follower = agents.get(agents.get(0) == leader ? 1 : 0);

        cluster.clusterPolicy("by-domain", "Admin", 20, BY_DOMAIN);
        awaitCondition("by-domain", "False");
        // A change that leaves the judgement as it was (a label), then a second policy: the informer takes events
        // in order, so once the second policy's condition is there, the label was judged too.
        cluster.clusterPolicies().withName("by-domain").edit(p -> {
            p.getMetadata().setLabels(Map.of("team", "net"));
            return p;
        });
        cluster.clusterPolicy("deny-doc", "Baseline", 5, DENY_NETWORK);
        awaitCondition("deny-doc", "True");

        assertThat(conditions(leader).writes()).isEqualTo(2);
        assertThat(conditions(follower).writes()).isZero();
        assertThat(conditions(follower).leading()).isFalse();
        Lease lease = cluster.client().leases().inNamespace(cluster.client().getNamespace())
                .withName(ClusterPolicyConditions.LEASE).get();
        assertThat(lease.getSpec().getHolderIdentity())
                .isEqualTo(leader == agents.get(0) ? "node-1" : "node-2");
    }

    @Test
    void whenTheLeaderStopsAnotherAgentTakesOver() throws Exception {
        startAgent("node-1");
        startAgent("node-2");
        await().atMost(TIMEOUT).until(() -> leaders().size() == 1);
        AgentHarness leader = leaders().get(0);
        agents.remove(leader);
        leader.close();

        await().atMost(TIMEOUT).until(() -> leaders().size() == 1);
        cluster.clusterPolicy("by-domain", "Admin", 20, BY_DOMAIN);

        awaitCondition("by-domain", "False");
        assertThat(conditions(agents.get(0)).writes()).isEqualTo(1);
    }

    private void startAgent(String node) throws Exception {
        agents.add(AgentHarness.startFollowingClusterPolicies(cluster, node,
                new RecordingExecutor(new FakeNft())));
    }

    private List<AgentHarness> leaders() {
        return agents.stream().filter(a -> conditions(a).leading()).toList();
    }

    private static ClusterPolicyConditions conditions(AgentHarness agent) {
        return agent.agent.clusterPolicySupport().conditions();
    }

    private Map<String, Object> awaitCondition(String policy, String status) {
        await().atMost(TIMEOUT).until(() -> accepted(policy).map(c -> c.get("status")).orElse(null),
                status::equals);
        return accepted(policy).orElseThrow();
    }

    private Optional<Map<String, Object>> accepted(String policy) {
        return conditions(policy).stream().filter(c -> AcceptedCondition.TYPE.equals(c.get("type"))).findFirst();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> conditions(String policy) {
        GenericKubernetesResource object = cluster.clusterPolicies().withName(policy).get();
        Object status = object.getAdditionalProperties().get("status");
        if (!(status instanceof Map<?, ?> map) || !(map.get("conditions") instanceof List<?> list)) {
            return List.of();
        }
        return (List<Map<String, Object>>) list;
    }
}
