package io.nftpolicy.explain;

import static io.nftpolicy.cluster.Protocol.TCP;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.egress;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;

import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.explain.Connection.Hop;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.testing.Clusters;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which nodes' tables a connection crosses, at which hook, and the end-to-end verdict. */
class ConnectionExplainerTest {
    private static final PolicyRule FROM_FRONTEND_TCP_80 =
            new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of(PolicyPort.tcp(80)));

    private final List<String> compiled = new ArrayList<>();

    private static Clusters cluster() {
        return Clusters.cluster().namespaces("dev")
                .pod("dev/db", "n1", "10.244.1.5", "role=db")
                .pod("dev/fe", "n1", "10.244.1.6", "role=frontend")
                .pod("dev/fe2", "n2", "10.244.2.6", "role=frontend")
                .pod(pod("dev/kubelet").on("n1").hostNetwork().ips("192.168.0.1"))
                .policy(ingress("dev/db-access", labels("role=db"), FROM_FRONTEND_TCP_80))
                .policy(egress("dev/fe-out", labels("role=frontend"), new PolicyRule(List.of(PolicyPeer.pods(labels("role=db"))), List.of())));
    }

    private ConnectionExplainer explainer(Clusters cluster) {
        PolicyCompiler compiler = new PolicyCompiler();
        return new ConnectionExplainer(cluster.snapshot(), node -> {
            compiled.add(node);
            return compiler.compile(cluster.snapshot(), node).ruleset();
        });
    }

    private static Connection only(List<Connection> connections) {
        assertThat(connections).hasSize(1);
        return connections.get(0);
    }

    @Test
    void aConnectionBetweenNodesIsDecidedForEgressOnTheSourcesNodeThenForIngressOnTheDestinations() {
        ConnectionExplainer explainer = explainer(cluster());

        Connection c = only(explainer.explain(explainer.party("dev/fe2"), explainer.party("dev/db"), TCP, 80));

        assertThat(c.hops()).extracting(Hop::node, Hop::role)
                .containsExactly(tuple("n2", "source's node"),
                        tuple("n1", "destination's node"));
        assertThat(c.hops()).allSatisfy(h -> assertThat(h.trace().hook()).isEqualTo(Hook.FORWARD));
        assertThat(c.hops().get(0).trace().allowances()).singleElement()
                .satisfies(a -> assertThat(a.subject()).isEqualTo("dev/fe2"));
        assertThat(c.hops().get(1).trace().allowances()).singleElement()
                .satisfies(a -> assertThat(a.subject()).isEqualTo("dev/db"));
        assertThat(c.allowed()).isTrue();
    }

    @Test
    void aConnectionWithinOneNodeIsOneTableThatChecksBothEnds() {
        ConnectionExplainer explainer = explainer(cluster());

        Connection c = only(explainer.explain(explainer.party("dev/fe"), explainer.party("dev/db"), TCP, 81));

        assertThat(c.hops()).singleElement().satisfies(h -> {
            assertThat(h.role()).isEqualTo("node of both ends");
            assertThat(h.trace().allowances()).extracting(Trace.Allowance::subject).containsExactly("dev/fe");
            assertThat(h.trace().denial()).hasValueSatisfying(d -> assertThat(d.subject()).isEqualTo("dev/db"));
        });
        assertThat(c.allowed()).isFalse();
        assertThat(c.droppedAt()).map(Hop::node).contains("n1");
    }

    @Test
    void aPacketDroppedOnTheSourcesNodeNeverReachesTheDestinationsNode() {
        ConnectionExplainer explainer = explainer(cluster());

        Connection c = only(explainer.explain(explainer.party("dev/fe2"), explainer.party("dev/kubelet"), TCP, 10250));

        assertThat(c.hops()).extracting(Hop::node).containsExactly("n2");
        assertThat(c.allowed()).isFalse();
    }

    @Test
    void aPodsConnectionToItselfCrossesNoTable() {
        ConnectionExplainer explainer = explainer(cluster());

        Connection c = only(explainer.explain(explainer.party("dev/db"), explainer.party("dev/db"), TCP, 5978));

        assertThat(c.hops()).isEmpty();
        assertThat(c.allowed()).isTrue();
        assertThat(c.note()).hasValueSatisfying(n -> assertThat(n).contains("stays inside its network namespace"));
        assertThat(compiled).isEmpty();
    }

    @Test
    void anAddressOutsideThePodsIsDecidedOnlyOnThePodsNode() {
        ConnectionExplainer explainer = explainer(cluster());

        Connection c = only(explainer.explain(explainer.party("172.17.0.5"), explainer.party("dev/db"), TCP, 80));

        assertThat(c.from().pod()).isEmpty();
        assertThat(c.hops()).extracting(Hop::node).containsExactly("n1");
        assertThat(c.allowed()).isFalse();
    }

    @Test
    void anAddressOfAPodIsThatPod() {
        ConnectionExplainer explainer = explainer(cluster());

        assertThat(explainer.party("10.244.2.6").name()).isEqualTo("dev/fe2");
    }

    @Test
    void aPodsTrafficToItsOwnNodeMeetsTheInputHook() {
        ConnectionExplainer explainer = explainer(cluster());

        Connection c = only(explainer.explain(explainer.party("dev/fe"), explainer.party("192.168.0.1"), TCP, 10250));

        assertThat(c.to().isNode()).isTrue();
        assertThat(c.hops()).singleElement().satisfies(h -> assertThat(h.trace().hook()).isEqualTo(Hook.INPUT));
        assertThat(c.allowed()).isFalse();
    }

    @Test
    void theNodesTrafficToItsOwnPodsIsNotFiltered() {
        ConnectionExplainer explainer = explainer(cluster());

        Connection c = only(explainer.explain(explainer.party("dev/kubelet"), explainer.party("dev/db"), TCP, 8080));

        assertThat(c.hops()).isEmpty();
        assertThat(c.allowed()).isTrue();
        assertThat(c.note()).hasValueSatisfying(n -> assertThat(n).contains("output hook"));
    }

    @Test
    void aDualStackPairIsOneConnectionPerFamily() {
        Clusters cluster = Clusters.cluster().namespaces("dev")
                .pod(pod("dev/a").on("n1").ips("10.244.1.5", "fd00::5").labels("app=a"))
                .pod(pod("dev/b").on("n2").ips("fd00::6", "10.244.2.6").labels("app=b"));
        ConnectionExplainer explainer = explainer(cluster);

        List<Connection> connections = explainer.explain(explainer.party("dev/a"), explainer.party("dev/b"), TCP, 80);

        assertThat(connections).extracting(c -> c.packet().family()).containsExactly(IpFamily.IPV4, IpFamily.IPV6);
    }

    @Test
    void eachNodesRulesetIsCompiledOnceForManyConnections() {
        ConnectionExplainer explainer = explainer(cluster());
        List<Party> pods = explainer.pods(ns -> true);

        for (Party from : pods) {
            for (Party to : pods) {
                explainer.explain(from, to, TCP, 80);
            }
        }

        assertThat(compiled).containsExactlyInAnyOrder("n1", "n2");
    }

    @Test
    void anUnknownPodIsAnErrorThatListsThePodsOfItsNamespace() {
        ConnectionExplainer explainer = explainer(cluster());

        assertThatThrownBy(() -> explainer.party("dev/dbb")).isInstanceOf(InvalidEndException.class)
                .hasMessage("no pod dev/dbb in the snapshot (pods of namespace dev: db, fe, fe2, kubelet)");
        assertThatThrownBy(() -> explainer.party("prod/db")).hasMessage(
                "no pod prod/db in the snapshot (namespace prod has no pods in it)");
        assertThatThrownBy(() -> explainer.party("db")).hasMessage("'db' is neither namespace/pod nor an IP address");
    }

    @Test
    void aFinishedPodIsAnError() {
        Clusters cluster = cluster()
                .pod(pod("dev/job").on("n1").phase(PodPhase.SUCCEEDED).ips("10.244.1.9"));

        assertThatThrownBy(() -> explainer(cluster).party("dev/job")).hasMessageStartingWith("pod dev/job has finished");
    }

    @Test
    void endsWithoutACommonFamilyAreAnError() {
        Clusters cluster = cluster().pod("dev/v6", "n2", "fd00::7", "app=v6");
        ConnectionExplainer explainer = explainer(cluster);

        assertThatThrownBy(() -> explainer.explain(explainer.party("dev/db"), explainer.party("dev/v6"), TCP, 80))
                .hasMessage("dev/db (IPv4) and dev/v6 (IPv6) have no address family in common");
    }
}
