package io.nftpolicy.bench.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.Rule;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The shape of the linear layout; that it enforces what the compiled ruleset does is LinearLayoutKernelTest's. */
class LinearLayoutTest {
    private final ClusterSnapshot snapshot = ClusterGenerator.generate(new ClusterGenerator.Size(3, 20, 2, 12, 5));
    private final LinearLayout layout = LinearLayout.of(snapshot, ClusterGenerator.nodeName(0));

    @Test
    void dispatchesWithoutMaps() {
        assertThat(layout.ruleset().maps()).isEmpty();
        assertThat(layout.ruleset().table()).isEqualTo(LinearLayout.TABLE);
    }

    @Test
    void everyIsolatedPodHasAJumpPerSelectingPolicyThenADrop() {
        assertThat(layout.ingress()).isNotEmpty();
        List<Rule> forward = forward().rules();
        layout.ingress().forEach((address, chains) -> {
            List<String> lines = forward.stream().map(Rule::statement)
                    .filter(r -> r.startsWith("ip daddr " + address + " ")).toList();
            assertThat(lines).hasSize(chains.size() + 1);
            assertThat(lines.subList(0, chains.size())).allMatch(l -> l.contains(" jump "));
            assertThat(lines.get(chains.size())).isEqualTo("ip daddr " + address + " drop");
        });
    }

    @Test
    void policyChainsEndWithoutADropSoThatTheNextPolicyIsTried() {
        assertThat(layout.ruleset().chains()).filteredOn(c -> c.hook().isEmpty())
                .isNotEmpty()
                .allMatch(c -> c.rules().stream().noneMatch(r -> r.statement().equals("drop")));
    }

    @Test
    void aFirstPacketToTheLastPodWalksEveryIngressLine() {
        IpAddress last = layout.ingress().keySet().stream().reduce((a, b) -> b).orElseThrow();
        assertThat(layout.linesWalked(last)).isEqualTo(forward().rules().size());
    }

    @Test
    void batchesHoldAtMostOnePolicyPerNamespaceAndEveryPolicyOnce() {
        List<List<NetworkPolicy>> batches = LinearLayout.batches(snapshot.policies());

        assertThat(batches).allMatch(b -> b.stream().map(NetworkPolicy::namespace).distinct().count() == b.size());
        assertThat(batches.stream().flatMap(List::stream).toList())
                .containsExactlyInAnyOrderElementsOf(snapshot.policies());
    }

    private Chain forward() {
        return layout.ruleset().chains().get(0);
    }
}
