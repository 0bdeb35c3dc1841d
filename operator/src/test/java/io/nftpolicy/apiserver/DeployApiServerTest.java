package io.nftpolicy.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionCondition;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nftpolicy.crd.Condition;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodePolicyStatusSpec;
import io.nftpolicy.crd.NodeSyncStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * deploy/base and deploy/canal meet kube-apiserver: accepted as they are, the CRD established with a structural
 * schema and a working status subresource, and {@code kubectl delete -k} leaving nothing behind.
 */
@ExtendWith(ControlPlane.Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeployApiServerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private ControlPlane cluster;
    private KubernetesClient admin;

    @BeforeAll
    void connect() {
        cluster = ControlPlane.get();
        admin = cluster.adminClient();
    }

    @AfterAll
    void close() {
        if (admin != null) {
            Deployment.applyBase(cluster); // left applied for the other classes of the tier
            admin.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"deploy/base", "deploy/canal"})
    void isAcceptedCreatesEverythingAndDeleteRemovesEverything(String kustomization) {
        Deployment.deleteBase(cluster); // another class of the tier may have applied it

        String applied = cluster.kubectl("apply", "-k", Deployment.dir(kustomization));

        assertThat(applied.lines().map(String::strip).collect(Collectors.toSet())).containsExactlyInAnyOrder(
                "namespace/nftpolicy-system created",
                "customresourcedefinition.apiextensions.k8s.io/nodepolicystatuses.nftpolicy.io created",
                "serviceaccount/nftpolicy created",
                "role.rbac.authorization.k8s.io/nftpolicy-lease created",
                "rolebinding.rbac.authorization.k8s.io/nftpolicy-lease created",
                "clusterrole.rbac.authorization.k8s.io/nftpolicy created",
                "clusterrolebinding.rbac.authorization.k8s.io/nftpolicy created",
                "daemonset.apps/nftpolicy created");
        assertThat(admin.apps().daemonSets().inNamespace(Deployment.NAMESPACE).withName("nftpolicy").get()
                .getSpec().getTemplate().getSpec().getServiceAccountName()).isEqualTo("nftpolicy");
        assertThat(admin.serviceAccounts().inNamespace(Deployment.NAMESPACE).withName("nftpolicy").get()).isNotNull();
        assertThat(admin.rbac().clusterRoles().withName("nftpolicy").get().getRules()).isNotEmpty();
        assertThat(admin.rbac().clusterRoleBindings().withName("nftpolicy").get().getSubjects())
                .singleElement().satisfies(s -> assertThat(s.getNamespace() + "/" + s.getName())
                        .isEqualTo("nftpolicy-system/nftpolicy"));
        await().atMost(TIMEOUT).until(() -> crdCondition("Established").equals("True"));

        String deleted = cluster.kubectl("delete", "-k", Deployment.dir(kustomization), "--wait=true");

        // kubectl deletes the namespace first; the ServiceAccount and DaemonSet go with it (and are not listed)
        assertThat(deleted).contains("namespace \"nftpolicy-system\" deleted")
                .contains("customresourcedefinition.apiextensions.k8s.io \"nodepolicystatuses.nftpolicy.io\" deleted")
                .contains("clusterrole.rbac.authorization.k8s.io \"nftpolicy\" deleted")
                .contains("clusterrolebinding.rbac.authorization.k8s.io \"nftpolicy\" deleted");
        Deployment.awaitGone(cluster);
        assertThat(admin.apps().daemonSets().inNamespace(Deployment.NAMESPACE).withName("nftpolicy").get()).isNull();
        assertThat(admin.serviceAccounts().inNamespace(Deployment.NAMESPACE).withName("nftpolicy").get()).isNull();
        assertThat(admin.rbac().clusterRoles().withName("nftpolicy").get()).isNull();
        assertThat(admin.rbac().clusterRoleBindings().withName("nftpolicy").get()).isNull();
    }

    @Test
    void theCrdHasAStructuralSchemaAndItsNamesAreAccepted() {
        Deployment.applyBase(cluster);

        CustomResourceDefinition crd = crd();
        assertThat(conditions(crd)).containsEntry("Established", "True").containsEntry("NamesAccepted", "True")
                .doesNotContainKey("NonStructuralSchema");
        assertThat(crd.getStatus().getAcceptedNames().getShortNames()).containsExactly("nps");
        assertThat(cluster.kubectl("api-resources", "--api-group=nftpolicy.io", "-o", "name"))
                .isEqualTo("nodepolicystatuses.nftpolicy.io\n");
    }

    @Test
    void theStatusSubresourceIgnoresStatusOnTheMainResourceAndSpecOnTheStatus() {
        Deployment.applyBase(cluster);
        var statuses = admin.resources(NodePolicyStatus.class);
        NodePolicyStatus created = statuses.resource(NodePolicyStatus.forNode("deploy-test-node")).create();
        try {
            NodePolicyStatus withStatus = NodePolicyStatus.forNode("deploy-test-node");
            withStatus.getMetadata().setResourceVersion(created.getMetadata().getResourceVersion());
            withStatus.setStatus(readyStatus());
            NodePolicyStatus updated = statuses.resource(withStatus).update();
            assertThat(updated.getStatus()).as("status sent to the main resource is dropped").isNull();

            updated.setStatus(readyStatus());
            updated.setSpec(new NodePolicyStatusSpec("renamed-through-status"));
            NodePolicyStatus statusUpdated = statuses.resource(updated).updateStatus();

            assertThat(statusUpdated.getStatus().conditions()).singleElement()
                    .satisfies(c -> assertThat(c.status()).isEqualTo(Condition.TRUE));
            assertThat(statusUpdated.getSpec().nodeName()).as("spec sent to /status is dropped")
                    .isEqualTo("deploy-test-node");
            assertThat(cluster.kubectl("get", "nps", "deploy-test-node", "--no-headers"))
                    .startsWith("deploy-test-node").contains("True");
        } finally {
            statuses.withName("deploy-test-node").delete();
        }
    }

    @Test
    void theSchemaRefusesAResourceWithoutItsNodeName() {
        Deployment.applyBase(cluster);
        NodePolicyStatus noNode = NodePolicyStatus.forNode("bad-node");
        noNode.setSpec(new NodePolicyStatusSpec(null));

        KubernetesClientException error = catchThrowableOfType(KubernetesClientException.class,
                () -> admin.resources(NodePolicyStatus.class).resource(noNode).create());

        assertThat(error.getCode()).isEqualTo(422);
        assertThat(error.getMessage()).contains("spec.nodeName").contains("Required value");
    }

    private static NodeSyncStatus readyStatus() {
        return new NodeSyncStatus(null, null, null, null, null, List.of(), null,
                List.of(Condition.ready(true, "Synced", "set by the test", Instant.now())));
    }

    private CustomResourceDefinition crd() {
        return admin.apiextensions().v1().customResourceDefinitions().withName(NodePolicyStatus.CRD_NAME).get();
    }

    private String crdCondition(String type) {
        CustomResourceDefinition crd = crd();
        return crd == null ? "" : conditions(crd).getOrDefault(type, "");
    }

    private static Map<String, String> conditions(CustomResourceDefinition crd) {
        return crd.getStatus().getConditions().stream().collect(Collectors.toMap(
                CustomResourceDefinitionCondition::getType, CustomResourceDefinitionCondition::getStatus));
    }
}
