package io.nftpolicy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.ClusterRoleBinding;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/** Every file of deploy/base/ and crds/ is a valid manifest: typed objects, named, no unknown fields. */
class ManifestsTest {

    private static String id(HasMetadata object) {
        return object.getKind() + " " + (object.getMetadata().getNamespace() == null ? ""
                : object.getMetadata().getNamespace() + "/") + object.getMetadata().getName();
    }

    @Test
    void theManifestsAreTheNamespaceRbacDaemonSetAndCrd() {
        assertThat(Manifests.files()).extracting(p -> Repository.root().relativize(p).toString()).containsExactly(
                "deploy/base/daemonset.yaml", "deploy/base/namespace.yaml", "deploy/base/rbac.yaml",
                "crds/nodepolicystatuses.nftpolicy.io-v1.yml");
        assertThat(Manifests.all()).extracting(Object::getClass).containsExactlyInAnyOrder(
                DaemonSet.class, Namespace.class, ServiceAccount.class, ClusterRole.class, ClusterRoleBinding.class,
                io.fabric8.kubernetes.api.model.rbac.Role.class, io.fabric8.kubernetes.api.model.rbac.RoleBinding.class,
                CustomResourceDefinition.class);
    }

    @Test
    void everyManifestParsesIntoTypedObjectsOfTheFabric8Model() {
        SoftAssertions softly = new SoftAssertions();
        for (Path file : Manifests.files()) {
            List<HasMetadata> objects = Manifests.load(file);
            softly.assertThat(objects).as(file.toString()).isNotEmpty();
            softly.assertThat(objects).as(file + ": kinds the model does not know")
                    .noneMatch(GenericKubernetesResource.class::isInstance);
        }
        softly.assertAll();
    }

    @Test
    void everyObjectHasApiVersionKindAndName() {
        SoftAssertions softly = new SoftAssertions();
        for (Path file : Manifests.files()) {
            for (HasMetadata object : Manifests.load(file)) {
                softly.assertThat(object.getApiVersion()).as(file + ": apiVersion of " + id(object)).isNotBlank();
                softly.assertThat(object.getKind()).as(file + ": kind of " + id(object)).isNotBlank();
                softly.assertThat(object.getMetadata().getName()).as(file + ": name of " + id(object)).isNotBlank();
            }
        }
        softly.assertAll();
    }

    @Test
    void noObjectHasAFieldTheModelDoesNotKnow() {
        Map<String, List<String>> unknown = new TreeMap<>();
        for (HasMetadata object : Manifests.all()) {
            List<String> fields = Manifests.unknownFields(object);
            if (!fields.isEmpty()) {
                unknown.put(id(object), fields);
            }
        }
        assertThat(unknown).as("fields the fabric8 model does not know (typos?)").isEmpty();
    }

    @Test
    void namespacedObjectsAreInTheNamespaceThatNamespaceYamlCreates() {
        Namespace namespace = Manifests.one("namespace.yaml", Namespace.class);
        assertThat(namespace.getMetadata().getName()).isEqualTo(Manifests.NAMESPACE);

        List<HasMetadata> namespaced = Manifests.all().stream().filter(Namespaced.class::isInstance)
                .collect(Collectors.toList());
        assertThat(namespaced).extracting(ManifestsTest::id)
                .containsExactlyInAnyOrder("DaemonSet nftpolicy-system/nftpolicy",
                        "ServiceAccount nftpolicy-system/nftpolicy", "Role nftpolicy-system/nftpolicy-lease",
                        "RoleBinding nftpolicy-system/nftpolicy-lease");
    }

    @Test
    void clusterScopedObjectsHaveNoNamespace() {
        assertThat(Manifests.all()).filteredOn(object -> !(object instanceof Namespaced))
                .isNotEmpty()
                .allSatisfy(object -> assertThat(object.getMetadata().getNamespace()).as(id(object)).isNull());
    }

    @Test
    void noObjectIsDefinedTwice() {
        assertThat(Manifests.all()).extracting(ManifestsTest::id).doesNotHaveDuplicates();
    }
}
