package io.nftpolicy.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * deploy/helm/nftpolicy without helm: what can be checked as files. Rendering, and the server's verdict on the
 * rendered manifests, are HelmChartApiServerTest's (API server tier).
 */
class HelmChartTest {
    private static final Path CHART = Repository.path("deploy/helm/nftpolicy");
    private static final String CRD = "nodepolicystatuses.nftpolicy.io-v1.yml";

    @Test
    void theChartsCrdIsTheGeneratedOne() {
        // Helm installs crds/ of a chart before its templates; regenerate both copies together
        // (cp crds/nodepolicystatuses.nftpolicy.io-v1.yml deploy/helm/nftpolicy/crds/).
        assertThat(CHART.resolve("crds").resolve(CRD)).hasSameTextualContentAs(Repository.path("crds").resolve(CRD));
    }

    @Test
    void theChartsAppVersionIsTheImageTagOfTheBase() throws Exception {
        String chart = java.nio.file.Files.readString(CHART.resolve("Chart.yaml"));
        String baseImage = Manifests.one("daemonset.yaml", io.fabric8.kubernetes.api.model.apps.DaemonSet.class)
                .getSpec().getTemplate().getSpec().getContainers().get(0).getImage();

        assertThat(chart).contains("\nappVersion: " + baseImage.substring(baseImage.indexOf(':') + 1) + "\n");
    }
}
