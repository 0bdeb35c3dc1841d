package io.nftpolicy.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.nftpolicy.deploy.Manifests;
import io.nftpolicy.deploy.Repository;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The committed CRD, crds/nodepolicystatuses.nftpolicy.io-v1.yml, read with the fabric8 model. */
class NodePolicyStatusCrdTest {
    private final CustomResourceDefinition crd = read();

    private static CustomResourceDefinition read() {
        List<HasMetadata> objects = Manifests.load(Repository.path("crds/nodepolicystatuses.nftpolicy.io-v1.yml"));
        assertThat(objects).singleElement().isInstanceOf(CustomResourceDefinition.class);
        return (CustomResourceDefinition) objects.get(0);
    }

    private CustomResourceDefinitionVersion version() {
        assertThat(crd.getSpec().getVersions()).hasSize(1);
        return crd.getSpec().getVersions().get(0);
    }

    private JSONSchemaProps status() {
        return version().getSchema().getOpenAPIV3Schema().getProperties().get("status");
    }

    @Test
    void definesAClusterScopedNodePolicyStatusInNftpolicyIo() {
        assertThat(crd.getMetadata().getName()).isEqualTo(NodePolicyStatus.CRD_NAME)
                .isEqualTo("nodepolicystatuses.nftpolicy.io");
        assertThat(crd.getSpec().getScope()).isEqualTo("Cluster");
        assertThat(crd.getSpec().getGroup()).isEqualTo("nftpolicy.io");
        assertThat(crd.getSpec().getNames().getKind()).isEqualTo("NodePolicyStatus");
        assertThat(crd.getSpec().getNames().getPlural()).isEqualTo("nodepolicystatuses");
        assertThat(crd.getSpec().getNames().getSingular()).isEqualTo("nodepolicystatus");
        assertThat(crd.getSpec().getNames().getShortNames()).containsExactly("nps");
    }

    @Test
    void servesAndStoresV1alpha1WithAStatusSubresource() {
        assertThat(version().getName()).isEqualTo("v1alpha1");
        assertThat(version().getServed()).isTrue();
        assertThat(version().getStorage()).isTrue();
        assertThat(version().getSubresources().getStatus()).isNotNull();
    }

    @Test
    void printsReadyPoliciesLocalPodsHashHeartbeatDataplaneAndAgeInThatOrder() {
        assertThat(version().getAdditionalPrinterColumns())
                .extracting(CustomResourceColumnDefinition::getName, CustomResourceColumnDefinition::getJsonPath)
                .containsExactly(
                        tuple("Ready", ".status.conditions[?(@.type==\"Ready\")].status"),
                        tuple("Policies", ".status.counts.policies"),
                        tuple("Local Pods", ".status.counts.localPods"),
                        tuple("Hash", ".status.appliedRulesetHash"),
                        tuple("Heartbeat", ".status.heartbeatTime"),
                        tuple("Dataplane", ".status.conditions[?(@.type==\"DataplaneReady\")].status"),
                        tuple("Age", ".metadata.creationTimestamp"));
    }

    @Test
    void specHoldsOnlyTheRequiredNodeName() {
        JSONSchemaProps spec = version().getSchema().getOpenAPIV3Schema().getProperties().get("spec");
        assertThat(spec.getProperties()).containsOnlyKeys("nodeName");
        assertThat(spec.getRequired()).containsExactly("nodeName");
    }

    @Test
    void statusHoldsHashTimeCountsDurationErrorInvalidPoliciesAndConditions() {
        assertThat(status().getProperties()).containsOnlyKeys("appliedRulesetHash", "appliedAt", "counts",
                "lastSyncDurationMillis", "lastError", "invalidPolicies", "objectProblems", "conditions", "heartbeatTime");
        assertThat(status().getProperties().get("counts").getProperties())
                .containsOnlyKeys("policies", "localPods", "chains", "rules", "sets", "setElements")
                .allSatisfy((name, count) -> assertThat(count.getType()).as(name).isEqualTo("integer"));
        assertThat(status().getProperties().get("lastError").getProperties()).containsOnlyKeys("message", "time");
        assertThat(status().getProperties().get("invalidPolicies").getItems().getSchema().getProperties())
                .containsOnlyKeys("namespace", "name", "field", "reason");
        assertThat(status().getProperties().get("conditions").getItems().getSchema().getProperties())
                .containsOnlyKeys("type", "status", "reason", "message", "lastTransitionTime", "observedGeneration");
    }

    @Test
    void everyFieldIsDescribedForKubectlExplain() {
        assertThat(status().getProperties()).allSatisfy((name, property) ->
                assertThat(property.getDescription()).as(name).isNotBlank());
    }
}
