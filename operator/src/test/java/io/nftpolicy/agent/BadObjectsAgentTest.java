package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRuleBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.nftpolicy.agent.reporting.EventRecorder;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.crd.InvalidPolicy;
import io.nftpolicy.crd.NodeSyncStatus;
import io.nftpolicy.crd.ObjectProblem;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Objects the API server would refuse, or of a shape nobody expects, arriving through the agent's watches while a
 * good policy is enforced: the agent never stops; each one is named (object and field) in the node's status and in
 * an Event; the good policy keeps following the cluster.
 *
 * <p>The cluster: namespace dev with db (app=db) and client on node-1. dev/allow-db lets role=frontend pods in;
 * each test ends by labelling client role=frontend and waiting for its address in the peer set.
 */
class BadObjectsAgentTest {
    private static final String NODE = AgentTest.NODE;
    private static final Duration TIMEOUT = AgentTest.TIMEOUT;

    private MockCluster cluster;
    private FakeNft fake;
    private RecordingExecutor kernel;
    private AgentHarness harness;

    @BeforeEach
    void startAgentWithAGoodPolicy() throws Exception {
        cluster = new MockCluster();
        cluster.namespace("dev", Map.of());
        cluster.pod("dev", "db", NODE, "10.244.1.10", Map.of("app", "db"));
        cluster.pod("dev", "client", NODE, "10.244.1.11", Map.of("app", "client"));
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        fake = new FakeNft();
        kernel = new RecordingExecutor(fake);
        harness = AgentHarness.start(cluster, NODE, kernel);
        await().atMost(TIMEOUT).until(harness.agent::ready);
        await().atMost(TIMEOUT).until(() -> chainNames().stream().anyMatch(c -> c.endsWith("-dev_allow-db")));
    }

    @AfterEach
    void stop() throws InterruptedException {
        harness.close();
        cluster.close();
    }

    @Test
    void malformedSelectorsAreReportedAndFailClosed() throws Exception {
        cluster.create(policy("foo-operator", new NetworkPolicyPeerBuilder().withPodSelector(new LabelSelectorBuilder()
                .withMatchExpressions(new LabelSelectorRequirementBuilder().withKey("app").withOperator("Foo")
                        .withValues("x").build()).build()).build()));
        cluster.create(policy("in-without-values", new NetworkPolicyPeerBuilder().withNamespaceSelector(
                new LabelSelectorBuilder().withMatchExpressions(new LabelSelectorRequirementBuilder().withKey("team")
                        .withOperator("In").build()).build()).build()));

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(status().invalidPolicies())
                .extracting(InvalidPolicy::name, InvalidPolicy::field).containsExactly(
                        tuple("foo-operator", "spec.ingress[0].from[0].podSelector.matchExpressions[0].operator"),
                        tuple("in-without-values", "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values")));
        await().atMost(TIMEOUT).until(() -> events(EventRecorder.INVALID).size() == 2);
        assertTheGoodPolicyStillFollowsTheCluster();
    }

    @Test
    void tenThousandIpBlockPeersCompileAndApply() throws Exception {
        List<NetworkPolicyPeer> peers = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            peers.add(new NetworkPolicyPeerBuilder().withNewIpBlock()
                    .withCidr("10.100." + (i / 256) + "." + (i % 256) + "/32").endIpBlock().build());
        }
        long start = System.nanoTime();
        cluster.create(policy("ten-thousand-blocks", peers.toArray(NetworkPolicyPeer[]::new)));

        // 10,000 peers: more than a rule each, so one merged set of the chain holds them all
        await().atMost(TIMEOUT).until(() -> table().map(r -> r.sets().stream().flatMap(s -> s.elements().stream())
                .map(e -> e.keyToNft()).filter(k -> k.startsWith("10.100.")).distinct().count()).orElse(0L) == 10_000);
        Duration applied = Duration.ofNanos(System.nanoTime() - start);
        assertThat(applied).as("create to applied").isLessThan(TIMEOUT);
        assertThat(status().invalidPolicies()).isEmpty();
        assertTheGoodPolicyStillFollowsTheCluster();
    }

    @Test
    void labelsOverTheSizeLimitsAndUnicodeNamesAreNamedInStatusAndEventsAndLabelsAtTheLimitsWork() throws Exception {
        String key = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61) + "/" + "k".repeat(63);
        cluster.pod("dev", "at-limits", NODE, "10.244.1.20", Map.of(key, "v".repeat(63)));
        cluster.pod("dev", "wéb", NODE, "10.244.1.21", Map.of("app", "v".repeat(64)));
        cluster.create(new NetworkPolicyBuilder(MockCluster.policyObject("dev", "from-limits", Map.of("app", "db"),
                Map.of(key, "v".repeat(63)))).build());

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(status().objectProblems())
                .extracting(ObjectProblem::kind, ObjectProblem::object, ObjectProblem::field)
                .containsExactly(tuple("Pod", "dev/wéb", "metadata.labels"), tuple("Pod", "dev/wéb", "metadata.name")));
        await().atMost(TIMEOUT).until(() -> events(EventRecorder.INVALID_OBJECT).size() == 2);
        assertThat(events(EventRecorder.INVALID_OBJECT)).allSatisfy(e -> {
            assertThat(e.getInvolvedObject().getKind()).isEqualTo("Pod");
            assertThat(e.getInvolvedObject().getName()).isEqualTo("wéb");
            assertThat(e.getMessage()).startsWith("Pod dev/wéb: metadata.");
        });
        await().atMost(TIMEOUT).until(() -> peerElements().contains("10.244.1.20"));
        assertThat(status().invalidPolicies()).isEmpty();
        assertTheGoodPolicyStillFollowsTheCluster();
    }

    @Test
    void aNamespaceLabelTheApiServerWouldRefuseIsNamedInStatusAndEventsAndTheOthersAreKept() throws Exception {
        cluster.namespace("shady", Map.of("team", "blue", "bad key!", "x"));

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(status().objectProblems())
                .extracting(ObjectProblem::kind, ObjectProblem::object, ObjectProblem::field)
                .containsExactly(tuple("Namespace", "shady", "metadata.labels")));
        await().atMost(TIMEOUT).until(() -> events(EventRecorder.INVALID_OBJECT).size() == 1);
        assertThat(events(EventRecorder.INVALID_OBJECT).get(0).getInvolvedObject().getKind()).isEqualTo("Namespace");
        assertTheGoodPolicyStillFollowsTheCluster();
    }

    @Test
    void aDuplicatePodAddressIsNamedInStatusAndEvents() throws Exception {
        cluster.pod("dev", "twin", NODE, "10.244.1.10", Map.of("app", "twin"));

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(status().objectProblems()).singleElement()
                .satisfies(p -> {
                    assertThat(p.kind()).isEqualTo("Pod");
                    assertThat(p.object()).isIn("dev/db", "dev/twin");
                    assertThat(p.field()).isEqualTo("status.podIPs[0]");
                    assertThat(p.reason()).contains("10.244.1.10");
                }));
        await().atMost(TIMEOUT).until(() -> events(EventRecorder.INVALID_OBJECT).size() == 1);
        assertTheGoodPolicyStillFollowsTheCluster();
    }

    @Test
    void objectsOfAnUnexpectedShapeNeitherStopTheAgentNorDisturbTheOthers() throws Exception {
        cluster.namespace("odd", Map.of());
        cluster.create(new NetworkPolicyBuilder().withNewMetadata().withNamespace("odd").withName("no-spec")
                .endMetadata().build());
        cluster.client().pods().inNamespace("odd").resource(new PodBuilder().withNewMetadata().withNamespace("odd")
                .withName("no-status").withLabels(Map.of("role", "frontend")).endMetadata().withNewSpec()
                .withNodeName(NODE).endSpec().build()).create();
        Pod badPort = MockCluster.podObject("odd", "bad-port", NODE, "10.244.1.30", Map.of());
        badPort.getSpec().getContainers().get(0).setPorts(List.of(new ContainerPortBuilder().withName("http")
                .withContainerPort(70000).build()));
        cluster.client().pods().inNamespace("odd").resource(badPort).create();

        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(status().objectProblems())
                .extracting(ObjectProblem::object, ObjectProblem::field)
                .containsExactly(tuple("odd/bad-port", "spec.containers[0].ports[0].containerPort")));
        // A NetworkPolicy without spec reads as spec {}: every pod of odd isolated for ingress, as the API server
        // would default it.
        await().atMost(TIMEOUT).until(() -> chainNames().stream().anyMatch(c -> c.endsWith("-odd_no-spec")));
        assertThat(status().invalidPolicies()).isEmpty();
        assertTheGoodPolicyStillFollowsTheCluster();
    }

    private void assertTheGoodPolicyStillFollowsTheCluster() {
        cluster.label("dev", "client", "role", "frontend");
        // in allow-db's peer set, or in the merged set of db's chain when another policy makes it merged
        await().atMost(TIMEOUT).until(() -> table().map(r -> r.sets().stream().flatMap(s -> s.elements().stream())
                .anyMatch(e -> e.keyToNft().startsWith("10.244.1.11 "))).orElse(false)
                || peerElements().contains("10.244.1.11"));
        assertThat(harness.agent.ready()).isTrue();
    }

    private static NetworkPolicy policy(String name, NetworkPolicyPeer... from) {
        return new NetworkPolicyBuilder()
                .withNewMetadata().withNamespace("dev").withName(name).endMetadata()
                .withNewSpec()
                .withPodSelector(MockCluster.selector(Map.of("app", "db")))
                .withPolicyTypes("Ingress")
                .withIngress(new NetworkPolicyIngressRuleBuilder().withFrom(from).build())
                .endSpec()
                .build();
    }

    private Optional<Ruleset> table() {
        return new CommittedTable(kernel, fake).ruleset();
    }

    private List<String> chainNames() {
        return new CommittedTable(kernel, fake).chainNames();
    }

    private List<String> peerElements() {
        return new CommittedTable(kernel, fake).peerElements();
    }

    private NodeSyncStatus status() {
        var resource = cluster.status(NODE);
        assertThat(resource).isNotNull();
        assertThat(resource.getStatus()).isNotNull();
        return resource.getStatus();
    }

    private List<Event> events(String reason) {
        List<Event> all = new ArrayList<>(cluster.events("dev"));
        all.addAll(cluster.events("odd"));
        all.addAll(cluster.events(EventRecorder.CLUSTER_SCOPED_EVENTS_NAMESPACE)); // events on a Namespace
        return all.stream().filter(e -> reason.equals(e.getReason())).toList();
    }
}
