package io.nftpolicy.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.deploy.Manifests;
import io.nftpolicy.deploy.Repository;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The NodePolicyStatus classes: the object the agent writes, and what it looks like on the API server. */
class NodePolicyStatusTest {
    private static final Instant APPLIED = Instant.parse("2026-11-21T10:15:30.123456Z");

    private static NodeSyncStatus fullStatus() {
        return new NodeSyncStatus("3fa2c1d09b7e4410", Timestamps.rfc3339(APPLIED),
                new RulesetCounts(2000, 482, 541, 1224, 240, 20831L), 87L,
                SyncError.at(APPLIED, "nft: Could not process rule: No such file or directory"),
                List.of(new InvalidPolicy("dev", "db", "spec.ingress[0].from[0].ipBlock.cidr",
                        "\"10.0.0.0/33\" is not a CIDR")),
                List.of(new ObjectProblem("Pod", "dev/web", "spec.containers[0].ports[0].containerPort",
                        "port 70000 is outside 1-65535 (port ignored)")),
                List.of(Condition.ready(false, "SyncFailed", "nft: Could not process rule", APPLIED)));
    }

    private static NodeSyncStatus healthyStatus() {
        return new NodeSyncStatus("3fa2c1d09b7e4410", Timestamps.rfc3339(APPLIED),
                new RulesetCounts(1, 2, 3, 4, 5, 6L), 12L, null, List.of(), null,
                List.of(Condition.ready(true, "Synced", "", APPLIED)));
    }

    private static JsonNode json(Object object) {
        return Manifests.SERIALIZATION.convertValue(object, JsonNode.class);
    }

    /** Paths of the JSON document that the schema does not declare, or declares with another type. */
    private static List<String> schemaViolations(JsonNode node, JSONSchemaProps schema, String path) {
        List<String> violations = new ArrayList<>();
        String type = schema.getType();
        boolean matches = switch (type == null ? "" : type) {
            case "object" -> node.isObject();
            case "array" -> node.isArray();
            case "string" -> node.isTextual();
            case "integer" -> node.isIntegralNumber();
            case "number" -> node.isNumber();
            case "boolean" -> node.isBoolean();
            default -> true;
        };
        if (!matches) {
            violations.add(path + ": " + node.getNodeType() + " where the schema says " + type);
            return violations;
        }
        if (node.isObject()) {
            for (String required : schema.getRequired()) {
                if (!node.has(required)) {
                    violations.add(path + "." + required + ": required, absent");
                }
            }
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                JSONSchemaProps property = schema.getProperties().get(field.getKey());
                if (property == null) {
                    violations.add(path + "." + field.getKey() + ": not in the schema (the API server prunes it)");
                } else {
                    violations.addAll(schemaViolations(field.getValue(), property, path + "." + field.getKey()));
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                violations.addAll(schemaViolations(node.get(i), schema.getItems().getSchema(), path + "[" + i + "]"));
            }
        }
        return violations;
    }

    @Test
    void forNodeIsNamedAfterTheNodeAndClusterScoped() {
        NodePolicyStatus resource = NodePolicyStatus.forNode("node-1");

        assertThat(resource.getMetadata().getName()).isEqualTo("node-1");
        assertThat(resource.getMetadata().getNamespace()).isNull();
        assertThat(resource.getSpec().nodeName()).isEqualTo("node-1");
        assertThat(resource.getStatus()).isNull();
        assertThat(resource.getApiVersion()).isEqualTo("nftpolicy.io/v1alpha1");
        assertThat(resource.getKind()).isEqualTo("NodePolicyStatus");
        assertThat(resource).isNotInstanceOf(Namespaced.class);
        assertThat(resource.getScope()).isEqualTo("Cluster");
    }

    @Test
    void aHealthyStatusHasNoLastError() {
        NodePolicyStatus resource = NodePolicyStatus.forNode("node-1");
        resource.setStatus(healthyStatus());

        JsonNode status = json(resource).path("status");
        assertThat(status.has("lastError")).isFalse();
        assertThat(status.path("conditions").get(0).path("status").asText()).isEqualTo("True");
    }

    @Test
    void roundTripsThroughTheKubernetesSerialization() {
        NodePolicyStatus resource = NodePolicyStatus.forNode("node-1");
        resource.setStatus(fullStatus());

        String yaml = Manifests.SERIALIZATION.asYaml(resource);
        NodePolicyStatus read = Manifests.SERIALIZATION.unmarshal(yaml, NodePolicyStatus.class);

        assertThat(read.getMetadata().getName()).isEqualTo("node-1");
        assertThat(read.getSpec()).isEqualTo(resource.getSpec());
        assertThat(read.getStatus()).isEqualTo(resource.getStatus());
    }

    @Test
    void everySerializedFieldIsDeclaredInTheCommittedCrdWithItsType() {
        CustomResourceDefinition crd = (CustomResourceDefinition) Manifests
                .load(Repository.path("crds/nodepolicystatuses.nftpolicy.io-v1.yml")).get(0);
        JSONSchemaProps schema = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        NodePolicyStatus resource = NodePolicyStatus.forNode("node-1");
        resource.setStatus(fullStatus());

        JsonNode document = json(resource);
        assertThat(schemaViolations(document.path("spec"), schema.getProperties().get("spec"), "spec")).isEmpty();
        assertThat(schemaViolations(document.path("status"), schema.getProperties().get("status"), "status"))
                .isEmpty();
        assertThat(document.path("status").size()).as("every status field set").isEqualTo(8);
    }

    @Test
    void timesAreRfc3339InUtc() {
        assertThat(Timestamps.rfc3339(APPLIED)).isEqualTo("2026-11-21T10:15:30.123Z");
        assertThat(Timestamps.rfc3339(Instant.parse("2026-11-21T10:15:30Z"))).isEqualTo("2026-11-21T10:15:30Z");
        assertThat(Timestamps.rfc3339Seconds(APPLIED)).isEqualTo("2026-11-21T10:15:30Z");
        assertThat(SyncError.at(APPLIED, "x").time()).isEqualTo("2026-11-21T10:15:30.123Z");
    }

    @Test
    void anInvalidPolicyComesFromTheCompilersDiagnosticWithItsEffect() {
        Diagnostic diagnostic = new Diagnostic("NetworkPolicy", "dev/db", "spec.ingress[0].from[0].ipBlock.cidr",
                "\"10.0.0.0/33\" is not a CIDR", "policy not enforced");

        assertThat(InvalidPolicy.of(diagnostic)).isEqualTo(new InvalidPolicy("dev", "db",
                "spec.ingress[0].from[0].ipBlock.cidr", "\"10.0.0.0/33\" is not a CIDR (policy not enforced)"));
    }

    @Test
    void aPodDiagnosticIsNotAnInvalidPolicy() {
        Diagnostic diagnostic = new Diagnostic("Pod", "dev/web", "status.podIPs[0]", "not an address", "");

        assertThatThrownBy(() -> InvalidPolicy.of(diagnostic)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Pod dev/web");
    }

    @Test
    void aConditionKeepsItsTransitionTimeWhileItsStatusStaysTheSame() {
        Condition ready = Condition.ready(true, "Synced", "", APPLIED);

        Condition stillReady = ready.update(Condition.TRUE, "Synced", "41 policies", APPLIED.plusSeconds(60));
        Condition failed = stillReady.update(Condition.FALSE, "SyncFailed", "nft: error", APPLIED.plusSeconds(120));

        assertThat(stillReady.lastTransitionTime()).isEqualTo("2026-11-21T10:15:30Z");
        assertThat(stillReady.message()).isEqualTo("41 policies");
        assertThat(failed.lastTransitionTime()).isEqualTo("2026-11-21T10:17:30Z");
        assertThat(failed.type()).isEqualTo(Condition.READY);
    }

    @Test
    void aConditionStatusIsTrueFalseOrUnknown() {
        assertThatThrownBy(() -> new Condition(Condition.READY, "true", null, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("True, False or Unknown");
    }
}
