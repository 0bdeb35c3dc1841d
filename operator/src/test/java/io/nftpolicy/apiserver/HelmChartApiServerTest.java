package io.nftpolicy.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.nftpolicy.deploy.Manifests;
import io.nftpolicy.deploy.Repository;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * deploy/helm/nftpolicy: {@code helm template} (helm built from its Go module by bin/helm) piped into
 * {@code kubectl apply --dry-run=server}, with the default values and with every value the chart offers; and its
 * defaults rendering what deploy/base holds.
 */
@ExtendWith(ControlPlane.Extension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HelmChartApiServerTest {
    /** The first run on a machine builds helm: minutes on two cores. */
    private static final Duration HELM_BUILD = Duration.ofMinutes(30);
    private static final Pattern DRY_RUN_LINE =
            Pattern.compile("(\\S+) (created|configured|unchanged) \\(server dry run\\)");
    private static final String CHART = Repository.path("deploy/helm/nftpolicy").toString();
    /** Every value the chart offers, set to something else than its default. */
    private static final List<String> EVERY_VALUE = List.of(
            "image.repository=registry.example/nftpolicy",
            "image.digest=sha256:" + "ab".repeat(32),
            "failClosed.enabled=true",
            "failClosed.podCIDRs={10.244.0.0/16,fd00:10:244::/56}",
            "resources.requests.cpu=100m",
            "resources.requests.memory=256Mi",
            "resources.limits.memory=512Mi",
            "metrics.bindAddress=0.0.0.0:9500",
            "log.format=text",
            "log.level=debug",
            "tolerations[0].key=node-role.kubernetes.io/control-plane",
            "tolerations[0].operator=Exists",
            "tolerations[0].effect=NoSchedule");

    private ControlPlane cluster;
    private Path helm;

    @BeforeAll
    void buildHelmAndApplyTheBase() {
        cluster = ControlPlane.get();
        CommandResult built = Commands.run(List.of(Repository.path("bin/helm").toString(), "build"), Map.of(),
                HELM_BUILD);
        assertThat(built.exitCode()).as("bin/helm build: " + built.stderr()).isZero();
        helm = Path.of(built.stdout().strip());
        // The namespace and the CRD exist, as after an install: the dry run then checks the namespaced objects too.
        Deployment.applyBase(cluster);
    }

    private List<String> template(List<String> values) {
        List<String> argv = new ArrayList<>(List.of(helm.toString(), "template", "nftpolicy", CHART,
                "--namespace", Deployment.NAMESPACE, "--include-crds", "--set", "namespace.create=true"));
        values.forEach(v -> argv.addAll(List.of("--set", v)));
        return argv;
    }

    /** {@code helm template ... | kubectl apply --dry-run=server -f -}, failing on either side of the pipe. */
    private CommandResult dryRun(List<String> values) {
        String pipeline = "set -o pipefail; " + shell(template(values)) + " | "
                + shell(List.of(cluster.kubectlPath().toString(), "--kubeconfig=" + cluster.kubeconfig(), "apply",
                        "--dry-run=server", "-f", "-"));
        return Commands.run(List.of("bash", "-c", pipeline), Map.of(), Duration.ofMinutes(2));
    }

    private static String shell(List<String> argv) {
        return argv.stream().map(a -> "'" + a.replace("'", "'\\''") + "'").collect(Collectors.joining(" "));
    }

    private List<HasMetadata> rendered(List<String> values) {
        CommandResult result = Commands.run(template(values), Map.of(), Duration.ofMinutes(1));
        assertThat(result.exitCode()).as(result.stderr()).isZero();
        return Manifests.parse(result.stdout());
    }

    private static <T extends HasMetadata> T only(List<HasMetadata> objects, Class<T> type) {
        List<T> matches = objects.stream().filter(type::isInstance).map(type::cast).toList();
        assertThat(matches).hasSize(1);
        return matches.get(0);
    }

    private static Set<String> acceptedObjects(CommandResult result) {
        assertThat(result.exitCode()).as(result.stderr() + result.stdout()).isZero();
        return result.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).map(line -> {
            Matcher m = DRY_RUN_LINE.matcher(line);
            assertThat(m.matches()).as(line).isTrue();
            return m.group(1);
        }).collect(Collectors.toSet());
    }

    @Test
    void withItsDefaultsTheServerAcceptsEveryObject() {
        assertThat(acceptedObjects(dryRun(List.of()))).containsExactlyInAnyOrder(
                "namespace/nftpolicy-system",
                "customresourcedefinition.apiextensions.k8s.io/nodepolicystatuses.nftpolicy.io",
                "serviceaccount/nftpolicy",
                "clusterrole.rbac.authorization.k8s.io/nftpolicy",
                "clusterrolebinding.rbac.authorization.k8s.io/nftpolicy",
                "role.rbac.authorization.k8s.io/nftpolicy-lease",
                "rolebinding.rbac.authorization.k8s.io/nftpolicy-lease",
                "daemonset.apps/nftpolicy");
    }

    @Test
    void withEveryValueSetTheServerAcceptsItAndTheDaemonSetCarriesThem() {
        assertThat(acceptedObjects(dryRun(EVERY_VALUE))).contains("daemonset.apps/nftpolicy");

        PodSpec pod = only(rendered(EVERY_VALUE), DaemonSet.class).getSpec().getTemplate().getSpec();
        Container agent = pod.getContainers().get(0);
        assertThat(agent.getImage()).isEqualTo("registry.example/nftpolicy@sha256:" + "ab".repeat(32));
        assertThat(agent.getArgs()).containsExactly("run", "--log-format=text", "--log-level=debug",
                "--metrics-bind-address=0.0.0.0:9500", "--fail-closed", "--pod-cidr=10.244.0.0/16",
                "--pod-cidr=fd00:10:244::/56");
        assertThat(agent.getPorts()).extracting("name", "containerPort").containsExactly(tuple("metrics", 9500));
        assertThat(agent.getResources().getRequests()).containsEntry("cpu", new Quantity("100m"))
                .containsEntry("memory", new Quantity("256Mi"));
        assertThat(agent.getResources().getLimits()).containsEntry("memory", new Quantity("512Mi"));
        assertThat(pod.getTolerations()).extracting(Toleration::getKey, Toleration::getOperator, Toleration::getEffect)
                .containsExactly(tuple("node-role.kubernetes.io/control-plane", "Exists", "NoSchedule"));
    }

    @Test
    void aValueTheServerCannotTakeFailsTheCheck() {
        CommandResult result = dryRun(List.of("resources.requests.cpu=lots"));

        assertThat(result.exitCode()).isNotZero();
        assertThat(result.stderr()).contains("lots");
    }

    @Test
    void itsDefaultsRenderWhatDeployBaseHolds() {
        List<HasMetadata> chart = rendered(List.of());
        PodSpec rendered = only(chart, DaemonSet.class).getSpec().getTemplate().getSpec();
        PodSpec base = Manifests.one("daemonset.yaml", DaemonSet.class).getSpec().getTemplate().getSpec();

        // The whole pod spec, every field, equal: labels and annotations aside (the chart adds Helm's).
        assertThat(rendered).isEqualTo(base);
        assertThat(only(chart, ClusterRole.class).getRules())
                .isEqualTo(Manifests.one("rbac.yaml", ClusterRole.class).getRules());
        assertThat(only(chart, Role.class).getRules()).isEqualTo(Manifests.one("rbac.yaml", Role.class).getRules());
    }
}
