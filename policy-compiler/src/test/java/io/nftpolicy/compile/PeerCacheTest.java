package io.nftpolicy.compile;

import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.map;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.selector.Selector;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * What a peer's versions count. Merged sets are built from the addresses and ports of a peer's pods only, so a
 * group chain built from a peer is kept while its address version holds, even when a member's labels change.
 */
class PeerCacheTest {
    private static final List<Namespace> NAMESPACES = List.of(new Namespace("dev", map("team=dev")));
    private static final AllowedPeer.Pods EVERY_POD_OF_DEV =
            new AllowedPeer.Pods("dev", Optional.of(Selector.all()), Optional.empty());
    private static final List<ContainerPort> HTTP_80 = List.of(new ContainerPort("http", 80, Protocol.TCP));

    private final ClusterState cluster = new ClusterState();
    private final PeerCache peers = new PeerCache(cluster);
    private final List<Pod> pods = new ArrayList<>(List.of(
            pod("dev/a").on("n1").ips("10.0.0.1").labels("app=a").ports(HTTP_80).build(),
            pod("dev/b").on("n1").ips("10.0.0.2").labels("app=b").ports(HTTP_80).build()));

    private PeerCache.Resolution compileAfter(Pod changed) {
        if (changed != null) {
            pods.removeIf(p -> p.name().equals(changed.name()));
            pods.add(changed);
        }
        peers.update(cluster.update(List.copyOf(pods), NAMESPACES));
        return peers.resolution(EVERY_POD_OF_DEV);
    }

    @Test
    void aMemberRelabelledWithinThePeerChangesItsVersionButNotItsAddressVersion() {
        PeerCache.Resolution peer = compileAfter(null);
        long version = peer.version();
        long addressVersion = peer.addressVersion();

        compileAfter(pod("dev/a").on("n1").ips("10.0.0.1").labels("app=c").ports(HTTP_80).build());

        assertThat(peer.version()).isGreaterThan(version);
        assertThat(peer.addressVersion()).isEqualTo(addressVersion);
    }

    @Test
    void aMemberWhoseNamedPortChangesNumberChangesTheAddressVersion() {
        PeerCache.Resolution peer = compileAfter(null);
        long addressVersion = peer.addressVersion();

        compileAfter(pod("dev/a").on("n1").ips("10.0.0.1").labels("app=a").ports(List.of(new ContainerPort("http", 8080, Protocol.TCP))).build());

        assertThat(peer.addressVersion()).isGreaterThan(addressVersion);
    }

    @Test
    void aMemberWithANewAddressChangesTheAddressVersion() {
        PeerCache.Resolution peer = compileAfter(null);
        long addressVersion = peer.addressVersion();

        compileAfter(pod("dev/a").on("n1").ips("10.0.0.9").labels("app=a").ports(HTTP_80).build());

        assertThat(peer.addressVersion()).isGreaterThan(addressVersion);
    }

    @Test
    void aNewMemberChangesTheAddressVersion() {
        PeerCache.Resolution peer = compileAfter(null);
        long addressVersion = peer.addressVersion();

        compileAfter(pod("dev/c").on("n2").ips("10.0.0.3").labels("app=a").ports(HTTP_80).build());

        assertThat(peer.addressVersion()).isGreaterThan(addressVersion);
        assertThat(peer.members()).extracting(m -> m.pod().name()).containsExactly("a", "b", "c");
    }
}
