package io.nftpolicy.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.Agent;
import io.nftpolicy.agent.ClusterPolicySupport;
import io.nftpolicy.agent.reporting.AcceptedCondition;
import io.nftpolicy.agent.reporting.ClusterPolicyConditions;
import io.nftpolicy.agent.reporting.LeaderLease;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.crd.NodePolicyStatus;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Each ClusterNetworkPolicy's nftpolicy.io/Accepted condition against kube-apiserver, with the upstream CRD (its
 * status subresource and schema) and the agents' own ServiceAccount: two agents (in-memory kernels) compete for the
 * Lease in nftpolicy-system; the one holding it writes, and {@code kubectl wait} sees the condition.
 */
@ExtendWith(ControlPlane.Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterPolicyConditionsApiServerTest {
    private static final Duration CONVERGE = Duration.ofSeconds(60);
    private static final List<String> NODES = List.of("conditions-node-1", "conditions-node-2");

    private ControlPlane cluster;
    private KubernetesClient admin;
    private final List<KubernetesClient> clients = new ArrayList<>();
    private final List<Agent> agents = new ArrayList<>();

    @BeforeAll
    void startTwoAgents() throws Exception {
        cluster = ControlPlane.get();
        Deployment.applyBase(cluster);
        NetworkPolicyApiCrds.install(cluster);
        admin = cluster.adminClient();
        for (String node : NODES) {
            KubernetesClient client = ControlPlane.clientFor(Deployment.agentKubeconfig(cluster, node));
            clients.add(client);
            Agent agent = new Agent(Agent.Config.forNode(node)
                    .withMetricsAddress(new InetSocketAddress("127.0.0.1", 0)), client, new FakeNft(), Clock.systemUTC());
            agent.useClusterPolicyOptions(new ClusterPolicySupport.Options(Duration.ofSeconds(2),
                    new LeaderLease.Timing(Duration.ofSeconds(6), Duration.ofSeconds(4), Duration.ofMillis(500)),
                    Deployment.NAMESPACE, true));
            agent.start();
            agents.add(agent);
        }
    }

    @AfterAll
    void stopThem() {
        agents.forEach(Agent::close);
        clients.forEach(KubernetesClient::close);
        if (admin != null) {
            cluster.kubectlResult("delete", "clusternetworkpolicy", "conditions-by-domain", "conditions-bad-selector",
                    "conditions-after-reinstall", "--ignore-not-found");
            NetworkPolicyApiCrds.install(cluster); // the standard channel again, for the other classes
            admin.leases().inNamespace(Deployment.NAMESPACE).withName(ClusterPolicyConditions.LEASE).delete();
            NODES.forEach(n -> admin.resources(NodePolicyStatus.class).withName(n).delete());
            admin.close();
        }
    }

    /** The standard channel's schema admits any selector operator; nftpolicy's compiler does not. */
    @Test
    void aPolicyWithAnInvalidSelectorGetsAcceptedFalseInvalidField() throws Exception {
        apply("""
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata:
                  name: conditions-bad-selector
                spec:
                  tier: Baseline
                  priority: 40
                  subject:
                    namespaces:
                      matchExpressions: [{key: team, operator: Near, values: [a]}]
                  ingress:
                    - action: Deny
                      from: [{namespaces: {}}]
                """);

        cluster.kubectl("wait", "--for=condition=" + AcceptedCondition.TYPE + "=False", "--timeout=60s",
                "clusternetworkpolicy/conditions-bad-selector");
        assertThat(cluster.kubectl("get", "clusternetworkpolicy", "conditions-bad-selector", "-o",
                "jsonpath={.status.conditions[?(@.type==\"" + AcceptedCondition.TYPE + "\")].reason}"))
                .isEqualTo("InvalidField");
    }

    /**
     * domainNames peers exist in the experimental channel's CRD only (the standard one refuses the field: strict
     * decoding), so this test applies that one.
     */
    @Test
    void aDomainNamesPolicyAppliedWithKubectlGetsAcceptedFalseFromTheLeaderOnly() throws Exception {
        await().atMost(CONVERGE).until(() -> leaders().size() == 1);
        Agent leader = leaders().get(0);
        Agent follower = agents.get(agents.get(0) == leader ? 1 : 0);
        NetworkPolicyApiCrds.installExperimental(cluster);

        apply("""
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata:
                  name: conditions-by-domain
                spec:
                  tier: Admin
                  priority: 30
                  subject:
                    namespaces: {}
                  egress:
                    - action: Accept
                      to:
                        - domainNames: ["example.com"]
                """);

        cluster.kubectl("wait", "--for=condition=" + AcceptedCondition.TYPE + "=False", "--timeout=60s",
                "clusternetworkpolicy/conditions-by-domain");
        String condition = cluster.kubectl("get", "clusternetworkpolicy", "conditions-by-domain", "-o",
                "jsonpath={.status.conditions[?(@.type==\"" + AcceptedCondition.TYPE + "\")]}");
        assertThat(condition).contains("\"reason\":\"UnsupportedField\"")
                .contains("spec.egress[0].to[0].domainNames: not supported by nftpolicy")
                .contains("\"observedGeneration\":1");
        // The leader judges every policy of the cluster (other classes' too); the follower none.
        assertThat(conditions(leader).writes()).isPositive();
        assertThat(conditions(follower).writes()).isZero();
        assertThat(admin.leases().inNamespace(Deployment.NAMESPACE).withName(ClusterPolicyConditions.LEASE).get()
                .getSpec().getHolderIdentity()).isEqualTo(NODES.get(agents.indexOf(leader)));
    }

    /**
     * The CRD deleted and installed again under running agents (classes run one after another, and the others
     * install it in their own set-up): both agents let the policies go, then watch them again, without a restart.
     */
    @Test
    void theCrdDeletedAndInstalledAgainIsFollowedWithoutARestart() throws Exception {
        await().atMost(CONVERGE).until(() -> agents.stream().allMatch(a -> a.cache().clusterPolicyApi().isPresent()));

        cluster.kubectl("delete", "crd", NetworkPolicyApiCrds.CRD, "--wait=true");
        await().atMost(CONVERGE).until(() -> agents.stream().allMatch(a -> a.cache().clusterPolicyApi().isEmpty()
                && !a.cache().watching().containsKey("ClusterNetworkPolicy")));

        NetworkPolicyApiCrds.install(cluster);
        apply("""
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata:
                  name: conditions-after-reinstall
                spec:
                  tier: Admin
                  priority: 50
                  subject:
                    namespaces: {}
                  ingress:
                    - action: Deny
                      from: [{namespaces: {matchLabels: {team: nobody}}}]
                """);
        await().atMost(CONVERGE).until(() -> agents.stream().allMatch(a -> a.cache().clusterPolicyApi().isPresent()
                && a.cache().sizes()[3] == 1));
        cluster.kubectl("wait", "--for=condition=" + AcceptedCondition.TYPE + "=True", "--timeout=60s",
                "clusternetworkpolicy/conditions-after-reinstall");
    }

    private void apply(String yaml) throws java.io.IOException {
        Path file = Files.createTempFile("nftpolicy-cnp", ".yaml");
        try {
            Files.writeString(file, yaml);
            cluster.kubectl("apply", "-f", file.toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private List<Agent> leaders() {
        return agents.stream().filter(a -> conditions(a).leading()).toList();
    }

    private static ClusterPolicyConditions conditions(Agent agent) {
        return agent.clusterPolicySupport().conditions();
    }
}
