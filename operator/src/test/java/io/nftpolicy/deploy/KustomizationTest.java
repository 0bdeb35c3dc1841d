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

/** deploy/canal/kustomization.yaml: the bundle beside Flannel. */
class KustomizationTest {
    private static final Path CANAL = Repository.path("deploy/canal");

    private static JsonNode kustomization() throws IOException {
        return new ObjectMapper(new YAMLFactory()).readTree(CANAL.resolve("kustomization.yaml").toFile());
    }

    private static List<Path> resources() throws IOException {
        List<Path> resources = new ArrayList<>();
        kustomization().path("resources").forEach(r -> resources.add(CANAL.resolve(r.asText()).normalize()));
        return resources;
    }

    @Test
    void isAKustomizationWithOnlyResources() throws IOException {
        JsonNode kustomization = kustomization();
        assertThat(kustomization.path("apiVersion").asText()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(kustomization.path("kind").asText()).isEqualTo("Kustomization");
        List<String> fields = new ArrayList<>();
        kustomization.fieldNames().forEachRemaining(fields::add);
        assertThat(fields).as("no patches or transformers: the bundle is the plain manifests")
                .containsExactlyInAnyOrder("apiVersion", "kind", "resources");
    }

    @Test
    void referencesFilesThatExist() throws IOException {
        assertThat(resources()).isNotEmpty().allSatisfy(file -> assertThat(file).isRegularFile());
    }

    @Test
    void referencesEveryManifestOfDeployAndEveryCrd() throws IOException {
        assertThat(resources()).containsExactlyInAnyOrderElementsOf(
                Manifests.files().stream().map(Path::normalize).toList());
    }

    @Test
    void buildsWithKubectlKustomizeIntoNamespaceCrdRbacAndDaemonSet() throws Exception {
        Process process;
        try {
            process = new ProcessBuilder("kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone",
                    CANAL.toString()).redirectErrorStream(false).start();
        } catch (IOException e) {
            assumeThat(false).as("kubectl is not installed: " + e.getMessage()).isTrue();
            return;
        }
        process.getOutputStream().close();
        byte[] stdout = process.getInputStream().readAllBytes();
        String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(stderr).isZero();

        List<HasMetadata> objects = Manifests.parse(new String(stdout, StandardCharsets.UTF_8));
        assertThat(objects).extracting(HasMetadata::getKind).containsExactly("Namespace",
                "CustomResourceDefinition", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "DaemonSet");
        assertThat(objects).extracting(o -> o.getMetadata().getName()).containsExactly("nftpolicy-system",
                "nodepolicystatuses.nftpolicy.io", "nftpolicy", "nftpolicy", "nftpolicy", "nftpolicy");
    }

    @Test
    void readmeSaysToInstallFlannelFirstAndWhatNftpolicyOwns() throws IOException {
        String readme = Files.readString(CANAL.resolve("README.md"));
        assertThat(readme).contains("Flannel first", "kubectl kustomize --load-restrictor LoadRestrictionsNone "
                + "deploy/canal | kubectl apply -f -", "`inet nftpolicy`", "**forward**", "**input**",
                "priority **0**", "DNAT");
    }
}
