package io.nftpolicy.snapshot;

import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Clusters.pod;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.snapshot.SnapshotConverter.Conversion;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotWriterTest {

    @Test
    void aGeneratedClusterWrittenAndReadBackIsTheSameSnapshot() throws SnapshotException {
        ClusterSnapshot generated = ClusterGenerator.generate(new ClusterGenerator.Size(4, 10, 3, 10, 5L));

        Conversion back = readBack(SnapshotWriter.toYaml(generated));

        assertThat(back.diagnostics()).isEmpty();
        assertThat(back.snapshot()).isEqualTo(generated);
    }

    @Test
    void aGeneratedClusterWrittenAsObjectsConvertsBackThroughTheAgentsConverter() {
        ClusterSnapshot generated = ClusterGenerator.generate(new ClusterGenerator.Size(4, 10, 3, 6, 5L));

        Conversion back = new SnapshotConverter().convert(
                generated.namespaces().stream().map(SnapshotWriter::namespace).toList(),
                generated.pods().stream().map(SnapshotWriter::pod).toList(),
                generated.policies().stream().map(SnapshotWriter::policy).toList());

        assertThat(back.diagnostics()).isEmpty();
        assertThat(back.snapshot()).isEqualTo(generated);
    }

    @Test
    void podsThatDoNotTakePartKeepWhatMakesThemSo() throws SnapshotException {
        ClusterSnapshot cluster = cluster().namespace("dev")
                .pod(pod("dev/host").on("node-1").hostNetwork().ips("192.168.0.5").labels("a=b"))
                .pod(pod("dev/done").on("node-1").phase(PodPhase.SUCCEEDED))
                .pod(pod("dev/pending").phase(PodPhase.PENDING).port("", 8080, Protocol.SCTP))
                .pod(pod("dev/dual").on("node-1").ips("10.0.0.1", "fd00::1").port("dns", 53, Protocol.UDP))
                .snapshot();

        assertThat(readBack(SnapshotWriter.toYaml(cluster)).snapshot()).isEqualTo(cluster);
    }

    @Test
    void aPodsUidAndCreationTimeAreWrittenAndReadBack() throws SnapshotException {
        ClusterSnapshot cluster = cluster().namespace("dev").pod(pod("dev/web").on("node-1").ips("10.0.0.1")
                .uid("6a1e-uid").created(Instant.parse("2026-03-01T10:00:00Z"))).snapshot();

        assertThat(readBack(SnapshotWriter.toYaml(cluster)).snapshot()).isEqualTo(cluster);
    }

    @Test
    void aNamespacesDropLogAnnotationIsWrittenAndReadBack() throws SnapshotException {
        ClusterSnapshot cluster = new ClusterSnapshot(List.of(new Namespace("dev", Map.of("team", "a"),
                Map.of(Namespace.LOG_DROPS_ANNOTATION, "true"))), List.of(), List.of());

        assertThat(readBack(SnapshotWriter.toYaml(cluster)).snapshot()).isEqualTo(cluster);
    }

    @Test
    void theSnapshotIsAKubectlListWithNamespacesFirst() {
        String yaml = SnapshotWriter.toYaml(ClusterGenerator.generate(new ClusterGenerator.Size(1, 1, 1, 1, 1L)));

        assertThat(yaml).contains("kind: \"List\"").containsSubsequence("kind: \"Namespace\"", "kind: \"Pod\"",
                "kind: \"NetworkPolicy\"");
    }

    private static Conversion readBack(String yaml) throws SnapshotException {
        SnapshotFile file = new SnapshotReader().read("generated.yaml", yaml.getBytes(StandardCharsets.UTF_8));
        assertThat(file.warnings()).isEmpty();
        return new Conversion(file.snapshot(), file.diagnostics());
    }
}
