package io.nftpolicy.bench.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.selector.Selector;
import java.util.ArrayList;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class PeerQueueSetTest {
    private static final String NODE = ClusterGenerator.nodeName(0);
    private final ClusterSnapshot snapshot = ClusterGenerator.generate(new ClusterGenerator.Size(4, 30, 2, 6, 3));
    private final PeerQueueSet set = PeerQueueSet.of(new PolicyCompiler().compile(snapshot, NODE).ruleset());

    @Test
    void holdsTheNodesPodsThatSomePolicySelectsAsTheReleaseCollectsThem() {
        Set<IpAddress> selected = snapshot.pods().stream()
                .filter(p -> p.nodeName().equals(NODE) && !p.ips().isEmpty() && selectedByAPolicy(p))
                .map(p -> IpAddress.parse(p.ips().get(0))).collect(Collectors.toSet());

        assertThat(selected).isNotEmpty();
        assertThat(set.v4()).isEqualTo(selected);
    }

    @Test
    void marksPacketsFromOrToTheSetsOnlyForNewConnectionsInADormantTable() {
        String script = set.script();

        assertThat(script).contains("flags dormant;")
                .contains("type filter hook postrouting priority -160;")
                .containsSubsequence("ct state established,related accept",
                        "ip saddr @podips-v4 meta mark set meta mark | 0x10000000",
                        "ip daddr @podips-v4 meta mark set meta mark | 0x10000000");
        set.v4().forEach(a -> assertThat(script).contains(a.toString()));
    }

    private boolean selectedByAPolicy(Pod pod) {
        return snapshot.policies().stream().anyMatch(p -> p.namespace().equals(pod.namespace())
                && Selector.compile(p.podSelector(), new ArrayList<>()).matches(pod.labels()));
    }
}
