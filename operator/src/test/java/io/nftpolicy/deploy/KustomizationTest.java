package io.nftpolicy.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * deploy/base/kustomization.yaml (the agent) and deploy/canal/kustomization.yaml (the bundle beside Flannel, an
 * overlay of the base): both build with kustomize's default load restrictor, so {@code kubectl apply -k} works.
 */
class KustomizationTest {
    private static final Path BASE = Repository.path(Manifests.BASE);
    private static final Path CANAL = Repository.path("deploy/canal");
    private static final String CRD = "nodepolicystatuses.nftpolicy.io-v1.yml";

    private static JsonNode kustomization(Path dir) throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(dir.resolve("kustomization.yaml").toFile());
    }

    private static List<String> resources(Path dir) throws IOException {
        List<String> resources = new ArrayList<>();
        kustomization(dir).path("resources").forEach(r -> resources.add(r.asText()));
        return resources;
    }

    private static void assertOnlyResources(Path dir) throws IOException {
        JsonNode kustomization = kustomization(dir);
        assertThat(kustomization.path("apiVersion").asText()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
        List<String> fields = new ArrayList<>();
        kustomization.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).as("no patches or transformers: the plain manifests")
                .containsExactlyInAnyOrder("apiVersion", "kind", "resources");
    }

    @Test
    void theBaseListsEveryManifestOfItsDirectoryAndNothingOutsideIt() throws IOException {
        assertOnlyResources(BASE);
        List<String> resources = resources(BASE);
        assertThat(resources).allSatisfy(r -> assertThat(r).doesNotContain("/"));
        assertThat(resources.stream().map(BASE::resolve).toList()).allSatisfy(f -> assertThat(f).isRegularFile());
        List<Path> manifests = new ArrayList<>(Manifests.files());
        manifests.removeIf(f -> f.startsWith(Repository.path("crds")));
        manifests.add(BASE.resolve(CRD));
        assertThat(resources.stream().map(BASE::resolve).toList()).containsExactlyInAnyOrderElementsOf(manifests);
    }

    @Test
    void theBasesCrdIsTheGeneratedOneUnchanged() throws IOException {
        assertThat(Files.readString(BASE.resolve(CRD)))
                .as("deploy/base/" + CRD + " must equal crds/" + CRD + ": cp crds/" + CRD + " deploy/base/")
                .isEqualTo(Files.readString(Repository.path("crds/" + CRD)));
    }

    @Test
    void canalIsTheBaseAndNothingElse() throws IOException {
        assertOnlyResources(CANAL);
        assertThat(resources(CANAL)).containsExactly("../base");
    }

    @Test
    void bothBuildWithTheDefaultLoadRestrictorIntoNamespaceCrdRbacAndDaemonSet() throws Exception {
        for (Path dir : List.of(BASE, CANAL)) {
            List<HasMetadata> objects = Manifests.parse(kustomize(dir));
            assertThat(objects).as(dir.toString()).extracting(HasMetadata::getKind).containsExactly("Namespace",
                    "CustomResourceDefinition", "ServiceAccount", "Role", "ClusterRole", "RoleBinding",
                    "ClusterRoleBinding", "DaemonSet");
            assertThat(objects).extracting(o -> o.getMetadata().getName()).containsExactly("nftpolicy-system",
                    "nodepolicystatuses.nftpolicy.io", "nftpolicy", "nftpolicy-lease", "nftpolicy", "nftpolicy-lease",
                    "nftpolicy", "nftpolicy");
        }
    }

    /** {@code kubectl kustomize DIR}, as {@code kubectl apply -k DIR} builds it (skipped without kubectl). */
    private static String kustomize(Path dir) throws Exception {
        Process process;
        try {
            process = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(false).start();
        } catch (IOException e) {
            assumeThat(false).as("kubectl is not installed: " + e.getMessage()).isTrue();
            throw e;
        }
        process.getOutputStream().close();
        byte[] stdout = process.getInputStream().readAllBytes();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(stderr).isZero();
        return new String(stdout, StandardCharsets.UTF_8);
    }

    @Test
    void readmeSaysToInstallFlannelFirstAndWhatNftpolicyOwns() throws IOException {
        String readme = Files.readString(CANAL.resolve("README.md"));
        assertThat(readme).contains("Flannel first", "kubectl apply -k deploy/canal", "`inet nftpolicy`",
                "**forward**", "**input**", "priority **0**", "DNAT").doesNotContain("load-restrictor");
    }
}
