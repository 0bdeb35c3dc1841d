package io.nftpolicy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.nftpolicy.agent.reporting.ClusterPolicyConditions;
import io.nftpolicy.crd.NodePolicyStatus;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** deploy/base/rbac.yaml: exactly the rights the agent needs. */
class RbacTest {
    private final ClusterRole role = Manifests.one("rbac.yaml", ClusterRole.class);
    private final ClusterRoleBinding binding = Manifests.one("rbac.yaml", ClusterRoleBinding.class);
    private final ServiceAccount account = Manifests.one("rbac.yaml", ServiceAccount.class);

    /** Every (apiGroup, resource, verb) the role grants, as "group/resource:verb" ("" is the core group). */
    private Set<String> grants() {
        Set<String> grants = new TreeSet<>();
        for (PolicyRule rule : role.getRules()) {
            for (String group : rule.getApiGroups()) {
                for (String resource : rule.getResources()) {
                    for (String verb : rule.getVerbs()) {
                        grants.add(group + "/" + resource + ":" + verb);
                    }
                }
            }
        }
        return grants;
    }

    private static List<String> grants(String group, String resource, String... verbs) {
        return List.of(verbs).stream().map(v -> group + "/" + resource + ":" + v).toList();
    }

    @Test
    void grantsExactlyReadOnPodsNamespacesAndPoliciesEventsAndItsStatusResource() {
        Set<String> expected = new TreeSet<>();
        expected.addAll(grants("", "pods", "get", "list", "watch"));
        expected.addAll(grants("", "namespaces", "get", "list", "watch"));
        expected.addAll(grants("networking.k8s.io", "networkpolicies", "get", "list", "watch"));
        // Nodes: fail-closed mode reads its Node's spec.podCIDRs; ClusterNetworkPolicy `nodes` peers, their addresses.
        expected.addAll(grants("", "nodes", "get", "list", "watch"));
        expected.addAll(grants("policy.networking.k8s.io", "clusternetworkpolicies", "list", "watch"));
        // Their nftpolicy.io/Accepted condition, from the agent holding the Lease.
        expected.addAll(grants("policy.networking.k8s.io", "clusternetworkpolicies/status", "update"));
        // get and update: the same problem seen again, by any node, counts the existing Event up.
        expected.addAll(grants("", "events", "get", "create", "update", "patch"));
        expected.addAll(grants("events.k8s.io", "events", "create", "patch"));
        for (String resource : List.of("nodepolicystatuses", "nodepolicystatuses/status")) {
            expected.addAll(grants("nftpolicy.io", resource, "get", "list", "watch", "create", "update", "patch"));
        }

        assertThat(grants()).containsExactlyElementsOf(expected);
    }

    @Test
    void grantsTheStatusResourceThatTheJavaClassDefines() {
        String group = NodePolicyStatus.GROUP;
        String plural = NodePolicyStatus.PLURAL;
        assertThat(grants()).contains(group + "/" + plural + ":patch", group + "/" + plural + "/status:patch");
    }

    @Test
    void hasNoWildcardsResourceNamesOrNonResourceUrls() {
        assertThat(role.getRules()).allSatisfy(rule -> {
            assertThat(rule.getApiGroups()).doesNotContain("*");
            assertThat(rule.getResources()).doesNotContain("*").noneMatch(r -> r.endsWith("/*"));
            assertThat(rule.getVerbs()).doesNotContain("*");
            assertThat(rule.getNonResourceURLs()).isEmpty();
            assertThat(rule.getResourceNames()).isEmpty();
        });
        assertThat(role.getAggregationRule()).isNull();
    }

    @Test
    void grantsNothingOnSecretsOrOtherSensitiveResources() {
        assertThat(grants()).noneMatch(g -> g.matches(
                "[^/]*/(secrets|configmaps|serviceaccounts|serviceaccounts/token|nodes/.*|pods/exec"
                        + "|pods/attach|pods/portforward|pods/ephemeralcontainers|roles|rolebindings|clusterroles"
                        + "|clusterrolebindings|customresourcedefinitions|daemonsets|deployments):.*"));
        assertThat(grants()).noneMatch(g -> g.endsWith(":escalate") || g.endsWith(":bind")
                || g.endsWith(":impersonate") || g.endsWith(":delete") || g.endsWith(":deletecollection"));
    }

    @Test
    void onNodesOnlyReadsAndOnClusterNetworkPoliciesReadsAndTheirStatus() {
        assertThat(grants()).filteredOn(g -> g.startsWith("/nodes"))
                .containsExactlyInAnyOrder("/nodes:get", "/nodes:list", "/nodes:watch");
        assertThat(grants()).filteredOn(g -> g.startsWith("policy.networking.k8s.io/"))
                .containsExactlyInAnyOrder("policy.networking.k8s.io/clusternetworkpolicies:list",
                        "policy.networking.k8s.io/clusternetworkpolicies:watch",
                        "policy.networking.k8s.io/clusternetworkpolicies/status:update");
    }

    @Test
    void cannotWriteUsersPodsNamespacesOrNetworkPolicies() {
        assertThat(grants()).filteredOn(g -> g.matches("(|networking\\.k8s\\.io)/(pods|pods/.*|namespaces"
                        + "|networkpolicies|networkpolicies/.*):.*"))
                .isNotEmpty()
                .allSatisfy(g -> assertThat(g).matches(".*:(get|list|watch)"));
    }

    @Test
    void bindsTheClusterRoleToTheServiceAccountThatExist() {
        assertThat(binding.getRoleRef().getApiGroup()).isEqualTo("rbac.authorization.k8s.io");
        assertThat(binding.getRoleRef().getKind()).isEqualTo("ClusterRole");
        assertThat(binding.getRoleRef().getName()).isEqualTo(role.getMetadata().getName());

        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getKind()).isEqualTo("ServiceAccount");
            assertThat(subject.getName()).isEqualTo(account.getMetadata().getName());
            assertThat(subject.getNamespace()).isEqualTo(account.getMetadata().getNamespace())
                    .isEqualTo(Manifests.NAMESPACE);
        });
    }

    @Test
    void theDaemonSetRunsAsTheBoundServiceAccount() {
        DaemonSet daemonSet = Manifests.one("daemonset.yaml", DaemonSet.class);
        assertThat(daemonSet.getSpec().getTemplate().getSpec().getServiceAccountName())
                .isEqualTo(account.getMetadata().getName());
        assertThat(daemonSet.getMetadata().getNamespace()).isEqualTo(account.getMetadata().getNamespace());
    }

    @Test
    void onLeasesOnlyTheElectionsOwnInItsNamespaceByNameSaveCreate() {
        Role lease = Manifests.one("rbac.yaml", Role.class);
        assertThat(lease.getMetadata().getNamespace()).isEqualTo(Manifests.NAMESPACE);
        assertThat(lease.getRules()).extracting(r -> r.getApiGroups() + " " + r.getResources() + " "
                + r.getResourceNames() + " " + r.getVerbs()).containsExactlyInAnyOrder(
                "[coordination.k8s.io] [leases] [" + ClusterPolicyConditions.LEASE + "] [get, patch]",
                "[coordination.k8s.io] [leases] [] [create]");
        RoleBinding binding = Manifests.one("rbac.yaml", RoleBinding.class);
        assertThat(binding.getMetadata().getNamespace()).isEqualTo(Manifests.NAMESPACE);
        assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
        assertThat(binding.getRoleRef().getName()).isEqualTo(lease.getMetadata().getName());
        assertThat(binding.getSubjects()).singleElement().satisfies(subject -> {
            assertThat(subject.getName()).isEqualTo(account.getMetadata().getName());
            assertThat(subject.getNamespace()).isEqualTo(account.getMetadata().getNamespace());
        });
    }

    @Test
    void definesNoOtherRoles() {
        assertThat(Manifests.all()).filteredOn(o -> o instanceof Role || o instanceof RoleBinding).hasSize(2);
        assertThat(Manifests.all()).filteredOn(ClusterRole.class::isInstance).hasSize(1);
        assertThat(Manifests.all()).filteredOn(ClusterRoleBinding.class::isInstance).hasSize(1);
    }
}
