package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.nftpolicy.deploy.Manifests;
import org.junit.jupiter.api.Test;

/** The kubelet kills a pod after its grace period: the agent's own wait on SIGTERM must end before. */
class ShutdownGraceTest {
    @Test
    void theDaemonSetsGracePeriodCoversTheAgentsShutdownWait() {
        DaemonSet daemonSet = Manifests.one("daemonset.yaml", DaemonSet.class);

        assertThat(daemonSet.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
                .isGreaterThan(RunCommand.SHUTDOWN_WAIT.toSeconds());
    }
}
