package io.nftpolicy.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Taint;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/** deploy/base/daemonset.yaml: the agent on every node, with NET_ADMIN and nothing else. */
class DaemonSetTest {
    private final DaemonSet daemonSet = Manifests.one("daemonset.yaml", DaemonSet.class);
    private final PodSpec pod = daemonSet.getSpec().getTemplate().getSpec();

    private Container agent() {
        assertThat(pod.getContainers()).hasSize(1);
        assertThat(pod.getInitContainers()).isEmpty();
        return pod.getContainers().get(0);
    }

    private SecurityContext security() {
        SecurityContext context = agent().getSecurityContext();
        assertThat(context).isNotNull();
        return context;
    }

    /** The containerPort a probe's port (number or name) points at. */
    private int resolve(IntOrString port) {
        if (port.getIntVal() != null) {
            return port.getIntVal();
        }
        return agent().getPorts().stream().filter(p -> port.getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).findFirst()
                .orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()));
    }

    private static Taint taint(String key, String effect, String value) {
        return new TaintBuilder().withKey(key).withEffect(effect).withValue(value).build();
    }

    /** Kubernetes' rule (k8s.io/api/core/v1 Toleration.ToleratesTaint). */
    private static boolean tolerates(Toleration toleration, Taint taint) {
        if (toleration.getEffect() != null && !toleration.getEffect().isEmpty()
                && !toleration.getEffect().equals(taint.getEffect())) {
            return false;
        }
        if (toleration.getKey() != null && !toleration.getKey().isEmpty()
                && !toleration.getKey().equals(taint.getKey())) {
            return false;
        }
        String operator = toleration.getOperator() == null ? "Equal" : toleration.getOperator();
        return switch (operator) {
            case "Exists" -> true;
            case "Equal" -> Objects.equals(Objects.toString(toleration.getValue(), ""),
                    Objects.toString(taint.getValue(), ""));
            default -> false;
        };
    }

    @Test
    void isTheNftpolicyDaemonSetOfItsNamespace() {
        assertThat(daemonSet.getMetadata().getName()).isEqualTo("nftpolicy");
        assertThat(daemonSet.getMetadata().getNamespace()).isEqualTo(Manifests.NAMESPACE);
        assertThat(daemonSet.getSpec().getTemplate().getMetadata().getLabels())
                .containsAllEntriesOf(daemonSet.getSpec().getSelector().getMatchLabels());
        assertThat(daemonSet.getSpec().getSelector().getMatchExpressions()).isEmpty();
    }

    @Test
    void runsTheImageBuiltFromTheDockerfileWithTheRunCommand() {
        assertThat(agent().getImage()).isEqualTo("nftpolicy:0.1.0");
        assertThat(agent().getCommand()).as("the image's ENTRYPOINT runs the jar").isEmpty();
        assertThat(agent().getArgs()).containsExactly("run", "--log-format=json", "--log-level=info",
                "--metrics-bind-address=:9402");
    }

    @Test
    void isNotPrivilegedAndCannotEscalate() {
        assertThat(security().getPrivileged()).isFalse();
        assertThat(security().getAllowPrivilegeEscalation()).isFalse();
        assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getHostIPC()).isNotEqualTo(Boolean.TRUE);
    }

    @Test
    void dropsEveryCapabilityAndAddsOnlyNetAdmin() {
        assertThat(security().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(security().getCapabilities().getAdd()).containsExactly("NET_ADMIN");
    }

    @Test
    void runsAsRootBecauseAddedCapabilitiesReachOnlyUidZero() {
        assertThat(security().getRunAsUser()).isZero();
        assertThat(security().getRunAsNonRoot()).isNotEqualTo(Boolean.TRUE);
    }

    @Test
    void hasAReadOnlyRootFilesystemWithAWritableTmp() {
        assertThat(security().getReadOnlyRootFilesystem()).isTrue();

        VolumeMount tmp = agent().getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/tmp"))
                .findFirst().orElseThrow(() -> new AssertionError("no volume at /tmp"));
        assertThat(tmp.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(tmp.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + tmp.getName()));
        assertThat(volume.getEmptyDir()).isNotNull();
        assertThat(pod.getVolumes()).as("no host paths").allSatisfy(v -> assertThat(v.getHostPath()).isNull());
    }

    @Test
    void usesARuntimeDefaultSeccompProfile() {
        assertThat(pod.getSecurityContext().getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
    }

    @Test
    void takesTheNodeNameFromTheDownwardApi() {
        EnvVar nodeName = agent().getEnv().stream().filter(e -> e.getName().equals("NODE_NAME")).findFirst()
                .orElseThrow(() -> new AssertionError("no NODE_NAME"));
        assertThat(nodeName.getValue()).isNull();
        assertThat(nodeName.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("spec.nodeName");
    }

    @Test
    void usesTheNodesNetworkWithClusterDns() {
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
    }

    @Test
    void toleratesEveryTaintSoItRunsOnEveryNode() {
        List<Taint> taints = List.of(
                taint("node-role.kubernetes.io/control-plane", "NoSchedule", null),
                taint("node.kubernetes.io/not-ready", "NoExecute", null),
                taint("node.kubernetes.io/unreachable", "NoExecute", null),
                taint("node.kubernetes.io/unschedulable", "NoSchedule", null),
                taint("node.kubernetes.io/network-unavailable", "NoSchedule", null),
                taint("node.kubernetes.io/disk-pressure", "NoSchedule", null),
                taint("example.com/anything", "PreferNoSchedule", "any-value"),
                taint("dedicated", "NoExecute", "gpu"));

        assertThat(taints).allSatisfy(taint -> assertThat(pod.getTolerations())
                .as("a toleration of " + taint.getKey() + ":" + taint.getEffect())
                .anyMatch(t -> tolerates(t, taint)));
        assertThat(pod.getTolerations()).as("tolerated for ever, never evicted")
                .allSatisfy(t -> assertThat(t.getTolerationSeconds()).isNull());
    }

    @Test
    void isNodeCriticalAndRollsOutOneNodeAtATime() {
        assertThat(pod.getPriorityClassName()).isEqualTo("system-node-critical");
        assertThat(daemonSet.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(daemonSet.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal())
                .isEqualTo(1);
    }

    @Test
    void givesTheAgentLongerThanItsShutdownWaitBeforeTheKill() {
        // RunCommand waits up to 40 s on SIGTERM (ShutdownGraceTest ties the two together).
        assertThat(pod.getTerminationGracePeriodSeconds()).isEqualTo(45L);
    }

    @Test
    void runsOnLinuxNodesOnly() {
        assertThat(pod.getNodeSelector()).containsExactly(java.util.Map.entry("kubernetes.io/os", "linux"));
    }

    @Test
    void probesHealthzAndReadyzOnTheMetricsPort9402() {
        assertThat(agent().getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort,
                ContainerPort::getProtocol).containsExactly(tuple("metrics", 9402, "TCP"));

        Probe liveness = agent().getLivenessProbe();
        assertThat(liveness.getHttpGet().getPath()).isEqualTo("/healthz");
        assertThat(resolve(liveness.getHttpGet().getPort())).isEqualTo(9402);

        Probe readiness = agent().getReadinessProbe();
        assertThat(readiness.getHttpGet().getPath()).isEqualTo("/readyz");
        assertThat(resolve(readiness.getHttpGet().getPort())).isEqualTo(9402);
    }

    @Test
    void announcesItsPrometheusMetrics() {
        assertThat(daemonSet.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", "9402")
                .containsEntry("prometheus.io/path", "/metrics");
    }

    @Test
    void requestsCpuAndMemoryAndLimitsMemory() {
        var resources = agent().getResources();
        assertThat(resources.getRequests()).containsOnlyKeys("cpu", "memory");
        assertThat(resources.getRequests().get("cpu")).isEqualTo(new Quantity("50m"));
        assertThat(resources.getRequests().get("memory")).isEqualTo(new Quantity("512Mi"));
        assertThat(resources.getLimits()).as("no CPU limit: throttling would delay enforcement")
                .containsOnlyKeys("memory");
        assertThat(resources.getLimits().get("memory")).isEqualTo(new Quantity("640Mi"));
        assertThat(Quantity.getAmountInBytes(resources.getLimits().get("memory")))
                .isGreaterThan(Quantity.getAmountInBytes(resources.getRequests().get("memory")));
    }
}
