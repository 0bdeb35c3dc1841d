package io.nftpolicy.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.cluster.Node;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Protocol;
import io.nftpolicy.policy.LabelSelector;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ClusterNetworkPolicy and Node objects in a snapshot file, read into the compiler's records as written. */
class TierObjectReaderTest {
    private final SnapshotReader reader = new SnapshotReader();

    private SnapshotFile read(String yaml) throws SnapshotException {
        return reader.read("test.yaml", yaml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aClusterNetworkPolicyIsReadWithEveryKindOfPeerAndPort() throws Exception {
        SnapshotFile objects = read("""
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata: {name: guard}
                spec:
                  tier: Admin
                  priority: 10
                  subject: {pods: {namespaceSelector: {matchLabels: {ns: x}}, podSelector: {}}}
                  egress:
                  - name: r0
                    action: Deny
                    to:
                    - namespaces: {matchExpressions: [{key: ns, operator: In, values: [y]}]}
                    - networks: [10.0.0.0/8, "fd00::/8"]
                    - nodes: {}
                    - domainNames: [example.com]
                    - serviceAccounts: {}
                    protocols:
                    - tcp: {destinationPort: {number: 80}}
                    - udp: {destinationPort: {range: {start: 1000, end: 2000}}}
                    - destinationNamedPort: http
                """);

        ClusterNetworkPolicy policy = objects.snapshot().clusterPolicies().get(0);
        assertThat(policy.name()).isEqualTo("guard");
        assertThat(policy.tier()).isEqualTo("Admin");
        assertThat(policy.priority()).isEqualTo(10);
        assertThat(policy.subject().pods().podSelector()).isEqualTo(LabelSelector.all());
        ClusterNetworkPolicy.Rule rule = policy.egress().get(0);
        assertThat(rule.peers()).containsExactly(
                Peer.namespaces(new LabelSelector(Map.of(), List.of(new LabelSelector.Requirement("ns", "In",
                        List.of("y"))))),
                Peer.networks(List.of("10.0.0.0/8", "fd00::/8")),
                Peer.nodes(LabelSelector.all()),
                Peer.domainNames(List.of("example.com")),
                new Peer(null, null, null, null, null, List.of("serviceAccounts")));
        assertThat(rule.protocols()).containsExactly(Protocol.port("tcp", 80), Protocol.range("udp", 1000, 2000),
                Protocol.named("http"));
    }

    @Test
    void bothServedVersionsAreReadAndOthersSkippedWithAWarning() throws Exception {
        SnapshotFile objects = read("""
                apiVersion: policy.networking.k8s.io/v1alpha2
                kind: ClusterNetworkPolicy
                metadata: {name: old}
                spec: {tier: Baseline, priority: 1, subject: {namespaces: {}}}
                ---
                apiVersion: policy.networking.k8s.io/v1alpha1
                kind: ClusterNetworkPolicy
                metadata: {name: older}
                spec: {}
                """);

        assertThat(objects.snapshot().clusterPolicies()).extracting(ClusterNetworkPolicy::name).containsExactly("old");
        assertThat(objects.warnings()).containsExactly("test.yaml:6:1: ClusterNetworkPolicy older of apiVersion "
                + "policy.networking.k8s.io/v1alpha1 skipped: only policy.networking.k8s.io/v1alpha2 and "
                + "policy.networking.k8s.io/v1beta1 ClusterNetworkPolicy objects are read");
    }

    @Test
    void aNodeKeepsItsLabelsAndItsInternalAndExternalAddresses() throws Exception {
        SnapshotFile objects = read("""
                apiVersion: v1
                kind: Node
                metadata: {name: n1, labels: {role: worker}}
                status:
                  addresses:
                  - {type: InternalIP, address: 192.168.0.1}
                  - {type: ExternalIP, address: "2001:db8::1"}
                  - {type: Hostname, address: n1}
                """);

        assertThat(objects.snapshot().nodes()).containsExactly(
                new Node("n1", Map.of("role", "worker"), List.of("192.168.0.1", "2001:db8::1")));
    }

    @Test
    void aClusterNetworkPolicyOfOneNameTwiceIsAnError() {
        String policy = """
                apiVersion: policy.networking.k8s.io/v1beta1
                kind: ClusterNetworkPolicy
                metadata: {name: twice}
                spec: {}
                """;

        assertThatThrownBy(() -> read(policy + "---\n" + policy)).isInstanceOf(SnapshotException.class)
                .hasMessage("test.yaml:6:1: ClusterNetworkPolicy twice appears twice (first at line 1)");
    }
}
