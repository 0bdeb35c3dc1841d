package io.nftpolicy.agent.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.nftpolicy.agent.MockCluster;
import io.nftpolicy.snapshot.SnapshotConverter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A pod deleted and created again under its name is another pod (another uid). Whatever order its events come in,
 * the cache ends with the later pod and never with the earlier one. The handlers are called directly: an API server
 * sends them in order, which is the case to survive when a relist or a reconnection reorders them.
 */
class PodIdentityTest {
    private final KubernetesClient client = new KubernetesClientBuilder().build(); // never connects: not started
    private final List<String> changes = new ArrayList<>();
    private final ClusterCache cache = new ClusterCache(client, new SnapshotConverter(),
            (kind, key, nanos) -> changes.add(kind + " " + key));

    @AfterEach
    void close() {
        client.close();
    }

    private static Pod pod(String uid, String created, String app) {
        Pod pod = MockCluster.podObject("dev", "db", "node-1", "10.244.1.10", Map.of("app", app));
        pod.getMetadata().setUid(uid);
        pod.getMetadata().setCreationTimestamp(created);
        return pod;
    }

    private static final Pod FIRST = pod("uid-1", "2026-01-01T00:00:00Z", "db");
    private static final Pod SECOND = pod("uid-2", "2026-01-01T00:01:00Z", "web");

    private List<String> pods() {
        return cache.snapshot().cluster().pods().stream().map(p -> p.ref() + " " + p.uid() + " app=" + p.labels().get("app"))
                .toList();
    }

    @Test
    void theDeleteOfTheEarlierPodAfterTheAddOfTheLaterOneLeavesTheLaterOne() {
        cache.putPod(FIRST);
        cache.putPod(SECOND);
        cache.removePod(FIRST);

        assertThat(pods()).containsExactly("dev/db uid-2 app=web");
    }

    @Test
    void theDeleteOfTheEarlierPodBeforeTheAddOfTheLaterOneLeavesTheLaterOne() {
        cache.putPod(FIRST);
        cache.removePod(FIRST);
        cache.putPod(SECOND);

        assertThat(pods()).containsExactly("dev/db uid-2 app=web");
    }

    @Test
    void aLateUpdateOfTheEarlierPodDoesNotBringItBack() {
        cache.putPod(FIRST);
        cache.putPod(SECOND);
        cache.putPod(FIRST);

        assertThat(pods()).containsExactly("dev/db uid-2 app=web");
    }

    @Test
    void theDeleteOfTheLaterPodRemovesIt() {
        cache.putPod(FIRST);
        cache.putPod(SECOND);
        cache.removePod(SECOND);

        assertThat(pods()).isEmpty();
        assertThat(changes).containsExactly("Pod dev/db", "Pod dev/db", "Pod dev/db");
    }

    @Test
    void aDeleteThatCarriesNoUidRemovesWhatIsThere() {
        cache.putPod(SECOND);
        Pod reduced = pod(null, null, "web");
        cache.removePod(reduced);

        assertThat(pods()).isEmpty();
    }
}
