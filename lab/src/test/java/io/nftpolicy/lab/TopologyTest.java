package io.nftpolicy.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.net.InetAddresses;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan needs no kernel: these run anywhere. */
class TopologyTest {
    private static LabPod pod(String name, String node, String... addresses) {
        return new LabPod(name, node, List.of(addresses), List.of(Endpoint.tcp(80)));
    }

    @Test
    void eachPodAddressPutsItsSubnetOnThePodsNodeWithAFreeGateway() throws LabException {
        Topology t = Topology.plan("npt", List.of(
                pod("x/a", "n1", "10.244.1.1", "fd00:10:244:1::1"),
                pod("x/b", "n1", "172.17.1.5"),
                pod("y/a", "n2", "10.244.2.7")));

        assertThat(t.nodes()).extracting(Topology.Node::name).containsExactly("n1", "n2");
        assertThat(t.nodes().get(0).subnets()).extracting(Topology.Subnet::cidr, s -> InetAddresses.toAddrString(s.gateway()))
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("10.244.1.0/24", "10.244.1.254"), // .1 is a pod's
                        org.assertj.core.groups.Tuple.tuple("fd00:10:244:1::/64", "fd00:10:244:1:ffff:ffff:ffff:ffff"),
                        org.assertj.core.groups.Tuple.tuple("172.17.1.0/24", "172.17.1.1"));
        assertThat(t.namespaces()).containsExactly("npt-u", "npt-n0", "npt-n1", "npt-p0", "npt-p1", "npt-p2");
        assertThat(t.pods().get(1).subnets().get(IpFamily.IPV4).cidr()).isEqualTo("172.17.1.0/24");
    }

    @Test
    void batchesWireNodesTheWayFlannelDoes() throws LabException {
        Topology t = Topology.plan("npt", List.of(
                pod("x/a", "n1", "10.244.1.2", "fd00:10:244:1::2"),
                pod("y/a", "n2", "10.244.2.2", "fd00:10:244:2::2")));
        Topology.Node n1 = t.nodes().get(0);
        assertThat(t.nodeBatch(n1)).contains(
                "addr add 10.244.1.1/24 dev cni0\n",
                "link add veth0 mtu 1450 type veth peer name eth0 mtu 1450 netns npt-p0\n",
                "type vxlan id 1 local 10.255.255.1 dev eth0 dstport 4789 nolearning\n",
                "neigh add 10.255.254.2 lladdr 0e:6e:70:00:00:02 dev flannel.1 nud permanent\n",
                "route add 10.244.2.0/24 via 10.255.254.2 dev flannel.1 onlink\n",
                "route add fd00:10:244:2::/64 via fd00:fffe::2 dev flannel.1 onlink\n");
        assertThat(t.nodeFdbBatch(n1))
                .isEqualTo("fdb append 0e:6e:70:00:00:02 dev flannel.1 dst 10.255.255.2 self permanent\n");
        assertThat(t.podBatch(t.pods().get(0))).contains(
                "addr add fd00:10:244:1::2/64 dev eth0 nodad\n", "route add ::/0 via fd00:10:244:1::1 dev eth0\n");
    }

    @Test
    void aSingleNodeHasNoUnderlay() throws LabException {
        Topology t = Topology.plan("npt", List.of(pod("x/a", "solo", "10.1.2.3")));
        assertThat(t.switchNetns()).isNull();
        assertThat(t.namespaces()).containsExactly("npt-n0", "npt-p0");
        assertThat(t.nodeBatch(t.nodes().get(0))).doesNotContain("vxlan", "eth0 up");
        assertThat(t.nodeFdbBatch(t.nodes().get(0))).isEmpty();
    }

    @Test
    void twoNodesCannotShareASubnet() {
        assertThatThrownBy(() -> Topology.plan("npt", List.of(
                pod("x/a", "n1", "10.244.1.2"), pod("y/a", "n2", "10.244.1.3"))))
                .isInstanceOf(LabException.class)
                .hasMessageContaining("10.244.1.0/24").hasMessageContaining("n1 (pod x/a)")
                .hasMessageContaining("n2 (pod y/a)");
    }

    @Test
    void rejectsAddressesAPodCannotHave() {
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "example.com"))))
                .hasMessageContaining("not an IPv4 or IPv6 address literal");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "10.255.255.9"))))
                .hasMessageContaining("reserves");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "fd00:ffff::9"))))
                .hasMessageContaining("reserves");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "fd00:fffe::9"))))
                .hasMessageContaining("reserves");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "10.0.0.1", "10.0.1.1"))))
                .hasMessageContaining("two IPv4 addresses");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "10.0.0.255"))))
                .hasMessageContaining("broadcast");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1"))))
                .hasMessageContaining("needs one IPv4 and/or one IPv6 address");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "10.0.0.1"),
                pod("x/b", "n1", "10.0.0.1")))).hasMessageContaining("both have address 10.0.0.1");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "10.0.0.1"),
                pod("x/a", "n1", "10.0.0.2")))).hasMessageContaining("two pods are named x/a");
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("node/a", "n1", "10.0.0.1"))))
                .hasMessageContaining("node source");
    }

    @Test
    void anAddressWithAZoneIsNoPodsAddress() {
        assertThatThrownBy(() -> Topology.plan("npt", List.of(pod("x/a", "n1", "fd00:10:244:1::1%eth0"))))
                .hasMessageContaining("not an IPv4 or IPv6 address literal");
    }
}
