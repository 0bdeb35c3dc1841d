package io.nftpolicy.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeerBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.Agent;
import io.nftpolicy.agent.CuttableProxy;
import io.nftpolicy.agent.sync.SyncLoop;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.testing.KernelTest;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The agent against kube-apiserver, enforcing on a lab node (real kernel, real connections): the upstream e2e
 * model's namespaces x, y, z and pods a, b, c (ports 80 and 81), all on node {@value UpstreamPods#NODE}, written
 * through the API as a kubelet-less cluster does (spec.nodeName, then status through the status subresource). The
 * agent runs with its own ServiceAccount's token. Policies and labels change through the API; after each change
 * the probes of every pair must agree with the expectation.
 */
@ExtendWith(ControlPlane.Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class AgentApiServerTest {
    private static final Duration CONVERGE = Duration.ofSeconds(30);
    private static final List<Endpoint> PORTS = List.of(Endpoint.tcp(80), Endpoint.tcp(81));

    private ControlPlane cluster;
    private KubernetesClient admin;
    private Lab lab;
    private UpstreamPods pods;
    private KubernetesClient agentClient;
    private LibnftablesExecutor executor;
    private LibnftablesExecutor driftReader;
    private Agent agent;
    private CuttableProxy proxy;

    @BeforeAll
    void startTheAgentOnALabNode() throws Exception {
        cluster = ControlPlane.get();
        Deployment.applyBase(cluster);
        admin = cluster.adminClient();
        lab = Lab.start(UpstreamPods.labPods(PORTS), LabOptions.defaults().withProbeTimeout(Duration.ofMillis(300)));
        pods = new UpstreamPods(admin);
        pods.create();
        NetworkPolicyApiCrds.install(cluster); // before the agent starts: it looks for the CRD once, at start

        // The agent reaches the API server through a proxy that the fault tests cut.
        proxy = new CuttableProxy("127.0.0.1", cluster.apiAddress().getPort());
        agentClient = ControlPlane.clientFor(cluster.tokenKubeconfig("agent-enforce",
                Deployment.agentToken(cluster), proxy.port()));
        String netns = lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + UpstreamPods.NODE);
        executor = LibnftablesExecutor.openInNamespace(netns);
        driftReader = LibnftablesExecutor.openInNamespace(netns);
        agent = new Agent(Agent.Config.forNode(UpstreamPods.NODE)
                .withMetricsAddress(new InetSocketAddress("127.0.0.1", 0))
                .withLoop(SyncLoop.Options.defaults().withDriftInterval(Duration.ofSeconds(2))),
                agentClient, executor, driftReader, Clock.systemUTC());
        agent.start();
        await().atMost(CONVERGE).until(agent::ready);
    }

    @AfterAll
    void stopEverything() {
        try {
            if (agent != null) {
                agent.close();
            }
            for (AutoCloseable closeable : new AutoCloseable[] {executor, driftReader, agentClient, proxy}) {
                if (closeable != null) {
                    closeable.close();
                }
            }
            if (pods != null) {
                pods.delete();
                admin.resources(NodePolicyStatus.class).withName(UpstreamPods.NODE).delete();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            if (admin != null) {
                admin.close();
            }
            if (lab != null) {
                lab.close();
            }
        }
    }

    /** Each test starts from no policies and the model's labels: every pair connected. */
    @BeforeEach
    void resetTheCluster() {
        for (String ns : UpstreamPods.NAMESPACES) {
            admin.network().v1().networkPolicies().inNamespace(ns).delete();
        }
        cluster.kubectl("delete", "clusternetworkpolicies", "--all");
        pods.resetLabels();
        awaitProbes(new Expectation());
    }

    @Test
    void aPolicyCreatedThroughTheApiIsEnforcedThenChangedThenDeleted() {
        create(allowYIntoX());
        awaitProbes(new Expectation()
                .deny("*", "x/*")
                .allow("y/*", "x/*", 80));

        admin.network().v1().networkPolicies().inNamespace("x").withName("allow-y").edit(p -> {
            p.getSpec().getIngress().get(0).getPorts().get(0).setPort(new io.fabric8.kubernetes.api.model.IntOrString(81));
            return p;
        });
        awaitProbes(new Expectation()
                .deny("*", "x/*")
                .allow("y/*", "x/*", 81));

        admin.network().v1().networkPolicies().inNamespace("x").withName("allow-y").delete();
        awaitProbes(new Expectation());
    }

    @Test
    void aClusterNetworkPolicyAppliedWithKubectlDeniesOverANetworkPolicyAllow() throws Exception {
        create(allowYIntoX());
        Expectation onlyY = new Expectation().deny("*", "x/*").allow("y/*", "x/*", 80);
        awaitProbes(onlyY);

        java.nio.file.Path file = java.nio.file.Files.createTempFile("nftpolicy-cnp", ".yaml");
        try {
            java.nio.file.Files.writeString(file, """
                    apiVersion: policy.networking.k8s.io/v1beta1
                    kind: ClusterNetworkPolicy
                    metadata:
                      name: deny-y-into-x-a
                    spec:
                      tier: Admin
                      priority: 10
                      subject:
                        pods:
                          namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: "x"}}
                          podSelector: {matchLabels: {pod: "a"}}
                      ingress:
                        - name: no-y
                          action: Deny
                          from:
                            - namespaces: {matchLabels: {kubernetes.io/metadata.name: "y"}}  # quoted: YAML 1.1 reads y as true
                    """);
            cluster.kubectl("apply", "-f", file.toString());
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
        awaitProbes(new Expectation().deny("*", "x/*").allow("y/*", "x/b", 80).allow("y/*", "x/c", 80));

        cluster.kubectl("delete", "clusternetworkpolicy", "deny-y-into-x-a");
        awaitProbes(onlyY);
    }

    @Test
    void aNamespaceRelabelledThroughTheApiEntersAndLeavesAPeer() {
        create(allowYIntoX());
        Expectation onlyY = new Expectation().deny("*", "x/*").allow("y/*", "x/*", 80);
        awaitProbes(onlyY);

        pods.labelNamespace("z", "ns", "y");
        awaitProbes(new Expectation().deny("*", "x/*").allow("y/*", "x/*", 80).allow("z/*", "x/*", 80));

        pods.labelNamespace("z", "ns", "z");
        awaitProbes(onlyY);
    }

    @Test
    void aPodRelabelledThroughTheApiEntersAPeerAndADeletedPodLeavesIt() {
        // y/a accepts only pods labelled pod=b of its namespace
        create(allowBIntoYA());
        awaitProbes(new Expectation().deny("*", "y/a").allow("y/b", "y/a"));

        pods.labelPod("y/c", "pod", "b");
        awaitProbes(new Expectation().deny("*", "y/a").allow("y/b", "y/a").allow("y/c", "y/a"));

        pods.deletePod("y/c");
        awaitProbes(new Expectation().deny("*", "y/a").allow("y/b", "y/a"));
        pods.createPod("y/c");
    }

    @Test
    void theNodePolicyStatusShowsTheAppliedPoliciesToKubectl() {
        create(allowYIntoX());
        awaitProbes(new Expectation().deny("*", "x/*").allow("y/*", "x/*", 80));

        await().atMost(CONVERGE).untilAsserted(() -> assertThat(cluster.kubectl("get", "nps", UpstreamPods.NODE,
                "-o", "custom-columns=READY:.status.conditions[0].status,POLICIES:.status.counts.policies,"
                        + "PODS:.status.counts.localPods", "--no-headers").split("\\s+"))
                .containsExactly("True", "1", "9"));
        assertThat(cluster.kubectl("get", "nodepolicystatuses")).startsWith("NAME").contains("READY")
                .contains(UpstreamPods.NODE);
        assertThat(cluster.kubectl("describe", "nps", UpstreamPods.NODE)).contains("Node Name:  " + UpstreamPods.NODE)
                .contains("Applied Ruleset Hash:");
    }

    @Test
    void theRulesStayWhileTheApiServerRestartsAndAChangeAfterItIsEnforced() {
        create(allowYIntoX());
        Expectation onlyY = new Expectation().deny("*", "x/*").allow("y/*", "x/*", 80);
        awaitProbes(onlyY);

        cluster.component("stop", "kube-apiserver");
        try {
            assertProbes(onlyY);
        } finally {
            cluster.component("start", "kube-apiserver");
        }
        admin.network().v1().networkPolicies().inNamespace("x").withName("allow-y").delete();

        awaitProbes(new Expectation());
    }

    /**
     * The API is unreachable for the agent for 60 s; meanwhile a policy and a pod are deleted, the API server
     * restarts and etcd is compacted, so the agent's watches can resume from their resourceVersions only with 410
     * Gone. The rules stay throughout; afterwards the agent converges, and neither deletion is missed.
     */
    @Test
    void afterSixtySecondsCutOffWithTheHistoryCompactedTheAgentMissesNoDeletion() throws Exception {
        create(allowYIntoX());
        create(allowBIntoYA());
        Expectation before = new Expectation().deny("*", "x/*").allow("y/*", "x/*", 80)
                .deny("*", "y/a").allow("y/b", "y/a");
        awaitProbes(before);
        long cut = System.nanoTime();
        proxy.cut();
        try {
            admin.network().v1().networkPolicies().inNamespace("x").withName("allow-y").delete();
            pods.deletePod("y/b");
            cluster.component("stop", "kube-apiserver");
            cluster.component("start", "kube-apiserver");
            cluster.compactEtcd();
            assertProbes(before);
            Thread.sleep(Math.max(0, Duration.ofSeconds(60).toMillis() - (System.nanoTime() - cut) / 1_000_000));
            assertProbes(before);
        } finally {
            proxy.restore();
        }

        // y/b's address is nobody's now: it no longer reaches y/a
        awaitProbes(new Expectation().deny("*", "y/a"), Duration.ofSeconds(90));
        assertThat(proxy.refused()).as("the agent tried to reconnect while cut off").isPositive();
    }

    @Test
    void aNewPodWithAnotherPodsAddressTakesItAndTheOldPodIsNamedInTheStatusAndAnEvent() {
        // The API server has no IPAM to refuse this: the compiler sorts it out (the newest running pod keeps the
        // address) and says so.
        pods.createPod("x/copy", UpstreamPods.address("x/a"));
        try {
            await().atMost(CONVERGE).untilAsserted(() -> assertThat(cluster.kubectl("get", "events", "-n", "x",
                    "--field-selector", "involvedObject.kind=Pod,involvedObject.name=a",
                    "-o", "custom-columns=REASON:.reason,MESSAGE:.message", "--no-headers"))
                    .contains("InvalidObject").contains("10.244.1.2").contains("x/copy"));
            await().atMost(CONVERGE).untilAsserted(() -> assertThat(cluster.kubectl("get", "nps", UpstreamPods.NODE,
                    "-o", "jsonpath={.status.objectProblems[*].object}"))
                    .as(() -> cluster.kubectl("get", "nps", UpstreamPods.NODE, "-o", "yaml")).isEqualTo("x/a"));
            // Traffic from the address is x/copy's now: a policy admitting x/copy admits it
            create(UpstreamPods.policy("y", "from-copy", Map.of(), new NetworkPolicyPeerBuilder()
                    .withNamespaceSelector(labels("ns", "x")).withPodSelector(labels("pod", "copy")).build(), null));
            awaitProbes(new Expectation().deny("*", "y/*").allow("x/a", "y/*"));
        } finally {
            pods.deletePod("x/copy");
        }
    }

    /** x/allow-y: every pod of x admits the pods of namespaces labelled ns=y, on port 80 only. */
    private static NetworkPolicy allowYIntoX() {
        return UpstreamPods.policy("x", "allow-y", Map.of(),
                new NetworkPolicyPeerBuilder().withNamespaceSelector(labels("ns", "y")).build(), 80);
    }

    /** y/allow-b: y/a admits the pods labelled pod=b of its namespace, on every port. */
    private static NetworkPolicy allowBIntoYA() {
        return UpstreamPods.policy("y", "allow-b", Map.of("pod", "a"),
                new NetworkPolicyPeerBuilder().withPodSelector(labels("pod", "b")).build(), null);
    }

    private static LabelSelector labels(String key, String value) {
        return new LabelSelectorBuilder().withMatchLabels(Map.of(key, value)).build();
    }

    private void create(NetworkPolicy policy) {
        admin.network().v1().networkPolicies().inNamespace(policy.getMetadata().getNamespace()).resource(policy)
                .create();
    }

    /** The probes agree with the expectation now. */
    private void assertProbes(Expectation expectation) {
        Reachability expected = expectation.over(UpstreamPods.POD_NAMES, PORTS);
        Reachability probed = withoutSelf(lab.probe(PORTS));
        assertThat(probed.differences(expected)).as("probed:\n" + probed.render()).isEmpty();
    }

    private void awaitProbes(Expectation expectation) {
        awaitProbes(expectation, CONVERGE);
    }

    private void awaitProbes(Expectation expectation, Duration timeout) {
        Reachability expected = expectation.over(UpstreamPods.POD_NAMES, PORTS);
        Reachability[] last = new Reachability[1];
        try {
            await().atMost(timeout).pollInterval(Duration.ofMillis(200)).until(() -> {
                last[0] = withoutSelf(lab.probe(PORTS));
                return last[0].differences(expected).isEmpty();
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("the probes disagree after " + timeout + ":\n"
                    + String.join("\n", last[0].differences(expected)) + "\nprobed:\n" + last[0].render(), e);
        }
    }

    /** Upstream ignores a pod's connections to itself (they never reach the node). */
    private static Reachability withoutSelf(Reachability probed) {
        Map<Reachability.Cell, Boolean> cells = new LinkedHashMap<>();
        probed.cells().forEach((cell, connected) -> {
            if (!cell.from().equals(cell.to()) && cell.family() == IpFamily.IPV4) {
                cells.put(cell, connected);
            }
        });
        return new Reachability(cells);
    }
}
