package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.snapshot.SnapshotConverter;
import org.junit.jupiter.api.Test;

/** The measurement's loader gives back, through the agent's converter, exactly the generated records. */
class ToKubernetesTest {
    @Test
    void aGeneratedClusterRoundTrips() {
        ClusterSnapshot generated = ClusterGenerator.generate(new ClusterGenerator.Size(4, 10, 3, 6, 5L));
        SnapshotConverter converter = new SnapshotConverter();

        var back = converter.convert(
                generated.namespaces().stream().map(ToKubernetes::namespace).toList(),
                generated.pods().stream().map(ToKubernetes::pod).toList(),
                generated.policies().stream().map(ToKubernetes::policy).toList());

        assertThat(back.diagnostics()).isEmpty();
        assertThat(back.snapshot().namespaces()).isEqualTo(generated.namespaces());
        assertThat(back.snapshot().pods()).isEqualTo(generated.pods());
        assertThat(back.snapshot().policies()).isEqualTo(generated.policies());
    }
}
