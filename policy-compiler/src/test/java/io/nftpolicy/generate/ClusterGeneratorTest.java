package io.nftpolicy.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator.Size;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class ClusterGeneratorTest {

    private static final Size SIZE = new Size(6, 20, 3, 10, 11L);
    private static final ClusterSnapshot CLUSTER = ClusterGenerator.generate(SIZE);

    @Test
    void theSameSizesAndSeedGiveTheSameCluster() {
        assertThat(ClusterGenerator.generate(new Size(6, 20, 3, 10, 11L))).isEqualTo(CLUSTER);
    }

    @Test
    void anotherSeedGivesAnotherCluster() {
        assertThat(ClusterGenerator.generate(new Size(6, 20, 3, 10, 12L))).isNotEqualTo(CLUSTER);
    }

    @Test
    void hasTheRequestedNumbersOfNamespacesPodsAndPolicies() {
        assertThat(CLUSTER.namespaces()).hasSize(6);
        assertThat(CLUSTER.pods()).hasSize(SIZE.pods()).hasSize(120);
        assertThat(CLUSTER.policies()).hasSize(SIZE.policies()).hasSize(60);
    }

    @Test
    void podsAreSpreadOverTheNodesWithDistinctAddresses() {
        assertThat(CLUSTER.pods()).extracting(Pod::nodeName).containsOnly("node-0", "node-1", "node-2");
        List<String> ips = CLUSTER.pods().stream().flatMap(p -> p.ips().stream()).toList();
        assertThat(ips).doesNotHaveDuplicates().hasSize(CLUSTER.pods().size());
    }

    @Test
    void everyNamespaceDeniesIngressByDefault() {
        assertThat(CLUSTER.policies().stream().filter(p -> p.name().equals("default-deny")))
            .hasSize(6)
            .allSatisfy(p -> {
                assertThat(p.podSelector().isEmpty()).isTrue();
                assertThat(p.ingress()).isEmpty();
            });
    }

    @Test
    void selectorsUseEveryMatchExpressionOperatorAndCombinePodAndNamespaceSelectors() {
        Set<String> operators = peers().flatMap(peer -> Stream.of(peer.podSelector(), peer.namespaceSelector()))
            .flatMap(Optional::stream)
            .flatMap(selector -> selector.matchExpressions().stream())
            .map(LabelSelector.Requirement::operator)
            .collect(Collectors.toSet());

        assertThat(operators).containsExactlyInAnyOrder("In", "NotIn", "Exists", "DoesNotExist");
        assertThat(peers()).anyMatch(p -> p.podSelector().isPresent() && p.namespaceSelector().isPresent());
        assertThat(peers()).anyMatch(p -> p.podSelector().isEmpty() && p.namespaceSelector().isPresent());
        assertThat(peers()).anyMatch(p -> p.podSelector().isPresent() && p.namespaceSelector().isEmpty());
    }

    @Test
    void hasIpBlocksWithExceptInBothDirections() {
        assertThat(peers()).filteredOn(p -> p.ipBlock().isPresent())
            .extracting(p -> p.ipBlock().orElseThrow().except().size())
            .contains(1, 2);
        assertThat(CLUSTER.policies()).anyMatch(p -> p.egress().stream().anyMatch(
            r -> r.peers().stream().anyMatch(peer -> peer.ipBlock().isPresent())));
    }

    @Test
    void hasPortListsEndPortRangesAndNamedPorts() {
        List<List<PolicyPort>> portLists = rules().map(PolicyRule::ports).toList();

        assertThat(portLists).anyMatch(ports -> ports.size() > 1);
        assertThat(portLists).anyMatch(ports -> ports.stream().anyMatch(p -> p.endPort().isPresent()));
        assertThat(portLists).anyMatch(ports -> ports.stream()
            .anyMatch(p -> p.port().orElseThrow() instanceof PolicyPort.PortRef.Named));
    }

    @Test
    void aNamedPortHasDifferentNumbersOnDifferentPods() {
        Set<Integer> httpPorts = CLUSTER.pods().stream().flatMap(p -> p.ports().stream())
            .filter(port -> port.name().equals("http")).map(ContainerPort::port).collect(Collectors.toSet());

        assertThat(httpPorts).containsExactlyInAnyOrder(80, 8080);
    }

    @Test
    void everyPolicyIsValid() {
        assertThat(new PolicyCompiler().compile(CLUSTER, "node-0").diagnostics()).isEmpty();
    }

    @Test
    void unusableSizesAreRejectedNamingTheField() {
        assertThatThrownBy(() -> new Size(1, 1, 0, 1, 1L)).hasMessage("nodes: 0 is below 1");
        assertThatThrownBy(() -> new Size(1, 1, 1, 0, 1L)).hasMessage("policiesPerNamespace: 0 is below 1");
        assertThatThrownBy(() -> new Size(1, 1, 16_385, 1, 1L)).hasMessageStartingWith("nodes: 16385 is above 16384");
        assertThatThrownBy(() -> ClusterGenerator.generate(new Size(1, 16_001, 1, 1, 1L)))
            .hasMessage("more than 16000 pods on node-0: use more nodes");
    }

    @Test
    void upTo256NodesEachNodeOwnsASlash18() {
        assertThat(ClusterGenerator.nodeCidr(3, 20)).isEqualTo("10.64.192.0/18");
        assertThat(ClusterGenerator.nodeCidr(255, 256)).isEqualTo("10.127.192.0/18");
    }

    @Test
    void moreNodesShareThePoolInSmallerBlocks() {
        assertThat(ClusterGenerator.nodeCidr(256, 257)).isEqualTo("10.96.0.0/19");
        assertThat(ClusterGenerator.nodeCidr(4_999, 5_000)).isEqualTo("10.103.14.0/23");
        assertThat(ClusterGenerator.nodeCidr(16_383, 16_384)).isEqualTo("10.127.255.0/24");
        assertThat(new Size(1, 1, 5_000, 1, 1L).addressesPerNode()).isEqualTo(500);
    }

    @Test
    void atFiveThousandNodesEveryPodIsInItsNodesBlockWithADistinctAddress() {
        ClusterSnapshot large = ClusterGenerator.generate(new Size(100, 50, 5_000, 10, 1L));

        assertThat(large.pods()).allSatisfy(pod -> {
            int node = Integer.parseInt(pod.nodeName().substring("node-".length()));
            assertThat(Cidr.parse(ClusterGenerator.nodeCidr(node, 5_000)).contains(IpAddress.parse(pod.ips().get(0))))
                .as(pod.ips().get(0) + " in the block of " + pod.nodeName()).isTrue();
        });
        assertThat(large.pods().stream().flatMap(p -> p.ips().stream())).doesNotHaveDuplicates();
        assertThat(new PolicyCompiler().compile(large, "node-0").diagnostics()).isEmpty();
    }

    @Test
    void aNodeOutsideTheClusterHasNoBlock() {
        assertThatThrownBy(() -> ClusterGenerator.nodeCidr(20, 20)).hasMessage("node 20 is not one of 20");
    }

    private static Stream<PolicyRule> rules() {
        return CLUSTER.policies().stream().flatMap(p -> Stream.concat(p.ingress().stream(), p.egress().stream()));
    }

    private static Stream<PolicyPeer> peers() {
        return rules().flatMap(r -> r.peers().stream());
    }
}
