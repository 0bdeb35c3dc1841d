package io.nftpolicy.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.nftpolicy.agent.cache.CacheSnapshot;
import io.nftpolicy.agent.cache.ClusterCache;
import io.nftpolicy.agent.cache.ClusterCacheAccess;
import io.nftpolicy.agent.cache.PolicyRef;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.snapshot.SnapshotConverter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The informers' view of the cluster: records kept, informer stores reduced, changes announced. */
class ClusterCacheTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private MockCluster cluster;
    private KubernetesClient client;
    private ClusterCache cache;
    private final List<String> changes = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        cluster = new MockCluster();
        cluster.namespace("dev", Map.of("team", "dev"));
        cluster.pod("dev", "db", "node-1", "10.244.1.10", Map.of("app", "db"));
        cluster.pod("dev", "remote", "node-2", "10.244.2.10", Map.of("app", "remote"));
        cluster.allowFrom("dev", "allow-db", Map.of("app", "db"), Map.of("role", "frontend"));
        client = cluster.newClient();
        cache = new ClusterCache(client, new SnapshotConverter(), (kind, key, nanos) -> {
            synchronized (changes) {
                changes.add(kind + " " + key);
            }
        });
        cache.start(TIMEOUT);
    }

    @AfterEach
    void stop() {
        cache.close();
        client.close();
        cluster.close();
    }

    private List<String> changes() {
        synchronized (changes) {
            return List.copyOf(changes);
        }
    }

    @Test
    void theFirstListIsComplete() {
        assertThat(cache.hasSynced()).isTrue();
        CacheSnapshot snapshot = cache.snapshot();

        assertThat(snapshot.cluster().namespaces()).extracting(Namespace::name).containsExactly("dev");
        assertThat(snapshot.cluster().namespaces().get(0).labels()).containsEntry("team", "dev");
        assertThat(snapshot.cluster().pods()).extracting(p -> p.ref() + "@" + p.nodeName() + " " + p.ips())
                .containsExactlyInAnyOrder("dev/db@node-1 [10.244.1.10]", "dev/remote@node-2 [10.244.2.10]");
        assertThat(snapshot.cluster().policies()).extracting(p -> p.ref()).containsExactly("dev/allow-db");
        PolicyRef ref = snapshot.policies().get("dev/allow-db");
        assertThat(ref.uid()).isNotBlank();
        assertThat(ref.generation()).isEqualTo(1);
        assertThat(changes()).contains("Namespace dev", "Pod dev/db", "Pod dev/remote", "NetworkPolicy dev/allow-db");
    }

    @Test
    void theInformersKeepOnlyKeysAndResourceVersions() {
        List<? extends HasMetadata> pods = ClusterCacheAccess.informerStore(cache, Pod.class);

        assertThat(pods).hasSize(2);
        Pod kept = (Pod) pods.get(0);
        assertThat(kept.getMetadata().getName()).isNotBlank();
        assertThat(kept.getMetadata().getNamespace()).isEqualTo("dev");
        assertThat(kept.getMetadata().getResourceVersion()).isNotBlank();
        assertThat(kept.getMetadata().getLabels()).isNullOrEmpty();
        assertThat(kept.getSpec()).isNull();
        assertThat(kept.getStatus()).isNull();
        assertThat(cache.informerStoreSizes()).containsEntry("Pod", 2).containsEntry("NetworkPolicy", 1)
                .containsEntry("Namespace", 1);
    }

    @Test
    void anUpdateTheCompilerDoesNotReadIsNotAChange() {
        int before = changes().size();

        cluster.client().pods().inNamespace("dev").withName("db").edit(p -> {
            p.getMetadata().setAnnotations(Map.of("note", "unrelated"));
            return p;
        });
        cluster.label("dev", "db", "role", "frontend");

        await().atMost(TIMEOUT).until(() -> changes().size() > before);
        await().during(Duration.ofMillis(300)).atMost(TIMEOUT).until(() -> changes().size() == before + 1);
        assertThat(changes().get(before)).isEqualTo("Pod dev/db");
        assertThat(cache.snapshot().cluster().pods()).filteredOn(p -> p.name().equals("db")).singleElement()
                .satisfies(p -> assertThat(p.labels()).containsEntry("role", "frontend"));
    }

    @Test
    void deletionsRemoveRecords() {
        cluster.deletePod("dev", "remote");
        cluster.deletePolicy("dev", "allow-db");

        await().atMost(TIMEOUT).until(() -> cache.snapshot().cluster().policies().isEmpty()
                && cache.snapshot().cluster().pods().size() == 1);
        assertThat(changes()).contains("Pod dev/remote", "NetworkPolicy dev/allow-db");
        assertThat(cache.snapshot().policies()).isEmpty();
        assertThat(cache.informerStoreSizes()).containsEntry("Pod", 1).containsEntry("NetworkPolicy", 0);
    }

    @Test
    void aNamespaceNotListedYetIsAddedWithoutLabels() {
        cluster.pod("staging", "web", "node-1", "10.244.1.20", Map.of("app", "web"));

        await().atMost(TIMEOUT).until(() -> cache.snapshot().cluster().pods().size() == 3);
        assertThat(cache.snapshot().cluster().namespaces()).extracting(Namespace::name)
                .containsExactlyInAnyOrder("dev", "staging");
    }

    @Test
    void aPortWithAnUnknownProtocolIsDroppedWithADiagnostic() {
        Pod pod = MockCluster.podObject("dev", "odd", "node-1", "10.244.1.30", Map.of());
        pod.getSpec().getContainers().get(0).getPorts().get(0).setProtocol("ICMP");
        cluster.client().pods().inNamespace("dev").resource(pod).create();

        await().atMost(TIMEOUT).until(() -> !cache.snapshot().conversionDiagnostics().isEmpty());
        assertThat(cache.snapshot().conversionDiagnostics().get(0).format())
                .contains("Pod dev/odd").contains("\"ICMP\" is not TCP, UDP or SCTP");
    }

    @Test
    void unchangedRecordsStayTheSameInstancesAndAnUnchangedKindTheSameList() {
        CacheSnapshot before = cache.snapshot();
        assertThat(cache.snapshot()).as("nothing changed: the same snapshot").isSameAs(before);
        int changesBefore = changes().size();

        cluster.client().pods().inNamespace("dev").withName("db").edit(p -> {
            p.getMetadata().setAnnotations(Map.of("note", "unrelated"));
            return p;
        });
        cluster.label("dev", "remote", "role", "frontend");
        await().atMost(TIMEOUT).until(() -> changes().size() > changesBefore);
        CacheSnapshot after = cache.snapshot();

        io.nftpolicy.cluster.Pod dbBefore = pod(before, "db");
        assertThat(pod(after, "db")).as("annotated only: the record of the previous snapshot").isSameAs(dbBefore);
        assertThat(pod(after, "remote")).isNotSameAs(pod(before, "remote"));
        assertThat(after.cluster().policies()).isSameAs(before.cluster().policies());
        assertThat(after.cluster().namespaces().get(0)).isSameAs(before.cluster().namespaces().get(0));
    }

    @Test
    void aPlaceholderNamespaceStaysTheSameInstance() {
        cluster.pod("staging", "web", "node-1", "10.244.1.20", Map.of("app", "web"));
        await().atMost(TIMEOUT).until(() -> cache.snapshot().cluster().pods().size() == 3);
        Namespace placeholder = namespace(cache.snapshot(), "staging");

        cluster.label("dev", "db", "role", "frontend");
        await().atMost(TIMEOUT).until(() -> pod(cache.snapshot(), "db").labels().containsKey("role"));

        assertThat(namespace(cache.snapshot(), "staging")).isSameAs(placeholder);
    }

    @Test
    void aPlaceholderNamespaceGoesWithItsLastPod() {
        cluster.pod("staging", "web", "node-1", "10.244.1.20", Map.of("app", "web"));
        await().atMost(TIMEOUT).until(() -> cache.snapshot().cluster().pods().size() == 3);

        cluster.deletePod("staging", "web");

        await().atMost(TIMEOUT).until(() -> cache.snapshot().cluster().pods().size() == 2);
        assertThat(cache.snapshot().cluster().namespaces()).extracting(Namespace::name).containsExactly("dev");
    }

    private static io.nftpolicy.cluster.Pod pod(CacheSnapshot snapshot, String name) {
        return snapshot.cluster().pods().stream().filter(p -> p.name().equals(name)).findFirst().orElseThrow();
    }

    private static Namespace namespace(CacheSnapshot snapshot, String name) {
        return snapshot.cluster().namespaces().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
    }
}
