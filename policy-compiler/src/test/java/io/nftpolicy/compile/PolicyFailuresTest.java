package io.nftpolicy.compile;

import static io.nftpolicy.cluster.Protocol.TCP;
import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.testing.Clusters;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * A policy the compiler cannot compile is that policy's failure: reported, its pods isolated, the others compiled.
 * And the policy that used to be one (an ipBlock whose excepts cover its cidr) now compiles to a peer that matches
 * nothing.
 */
class PolicyFailuresTest {
    private static final String DB = "10.244.1.5";
    private static final String WEB = "10.244.1.7";
    private static final String FE = "10.244.2.6";
    private static final PolicyRule FROM_FRONTEND_TCP_80 =
            new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of(PolicyPort.tcp(80)));

    private static Clusters cluster2() {
        return cluster().namespace("dev")
                .pod(pod("dev/db").on("n1").ips(DB, "fd00::5").labels("role=db"))
                .pod(pod("dev/web").on("n1").ips(WEB).labels("role=web").port("http", 70000, TCP))
                .pod(pod("dev/fe").on("n2").ips(FE, "fd00::6").labels("role=frontend"));
    }

    private static PolicyRule fromBlock(String cidr, String... except) {
        return new PolicyRule(List.of(PolicyPeer.ipBlock(cidr, except)), List.of());
    }

    @Test
    void anIpBlockWhoseExceptsCoverItsCidrMatchesNothingAndTheOtherPeersStillDo() {
        ClusterSnapshot snapshot = cluster2().policy(ingress("dev/db", labels("role=db"),
                fromBlock("10.244.0.0/16", "10.244.0.0/17", "10.244.128.0/17"),
                fromBlock("fd00::/64", "fd00::/65", "fd00::8000:0:0:0/65"),
                FROM_FRONTEND_TCP_80)).snapshot();
        Compilation compilation = new PolicyCompiler().compile(snapshot, "n1");

        assertThat(compilation.diagnostics()).isEmpty();
        FakeKernel kernel = new FakeKernel(compilation.ruleset());
        assertThat(kernel.forwards(WEB, DB, TCP, 22)).isFalse();
        assertThat(kernel.forwards("fd00::7", "fd00::5", TCP, 22)).isFalse();
        assertThat(kernel.forwards(FE, DB, TCP, 80)).isTrue();
        assertThat(kernel.forwards(FE, DB, TCP, 81)).isFalse();
    }

    @Test
    void anIpBlockWhoseExceptsCoverItsCidrMatchesNothingInMergedSetsToo() {
        List<PolicyPeer> peers = new ArrayList<>();
        peers.add(PolicyPeer.ipBlock("10.0.0.0/24", "10.0.0.0/25", "10.0.0.128/25"));
        for (int i = 0; i < 2 * GroupRules.MAX_RULES; i++) {
            peers.add(PolicyPeer.ipBlock("192.0.2." + i + "/32"));
        }
        ClusterSnapshot snapshot = cluster2().policy(ingress("dev/db", labels("role=db"),
                new PolicyRule(peers, List.of()), FROM_FRONTEND_TCP_80)).snapshot();
        FakeKernel kernel = new FakeKernel(new PolicyCompiler().compile(snapshot, "n1").ruleset());

        assertThat(kernel.forwards("10.0.0.1", DB, TCP, 22)).isFalse();
        assertThat(kernel.forwards("192.0.2.3", DB, TCP, 22)).isTrue();
        assertThat(kernel.forwards(FE, DB, TCP, 80)).isTrue();
    }

    @Test
    void aPolicyThatThrowsIsReportedAndFailsClosedWhileTheOthersCompile() {
        // dev/web's container port 70000 is out of range: resolving the named port on it throws (the converters
        // drop such ports; this pod reaches the compiler directly).
        PolicyRule http = new PolicyRule(List.of(), List.of(PolicyPort.named("TCP", "http")));
        ClusterSnapshot snapshot = cluster2()
                .policy(ingress("dev/web", labels("role=web"), http))
                .policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80))
                .snapshot();

        Compilation compilation = new PolicyCompiler().compile(snapshot, "n1");

        assertThat(compilation.diagnostics()).singleElement().satisfies(d -> {
            assertThat(d.object()).isEqualTo("dev/web");
            assertThat(d.field()).isEqualTo("spec.ingress[0]");
            assertThat(d.reason()).startsWith("could not be compiled").contains("70000");
            assertThat(d.effect()).contains("fail closed");
        });
        FakeKernel kernel = new FakeKernel(compilation.ruleset());
        assertThat(kernel.forwards(FE, WEB, TCP, 70000 % 65536)).isFalse();
        assertThat(kernel.forwards(FE, WEB, TCP, 22)).isFalse();
        assertThat(kernel.forwards(FE, DB, TCP, 80)).isTrue();
        assertThat(kernel.forwards(FE, DB, TCP, 81)).isFalse();
    }

    @Test
    void theIncrementalCompilerReportsAndFailsClosedAsTheCompilerDoesAndKeepsCompiling() {
        PolicyRule http = new PolicyRule(List.of(), List.of(PolicyPort.named("TCP", "http")));
        Clusters base = cluster2().policy(ingress("dev/web", labels("role=web"), http));
        ClusterSnapshot first = base.policy(ingress("dev/db", labels("role=db"), FROM_FRONTEND_TCP_80)).snapshot();
        ClusterSnapshot second = cluster2().policy(ingress("dev/web", labels("role=web"), http))
                .policy(ingress("dev/db", labels("role=db"))).snapshot();
        IncrementalCompiler incremental = new IncrementalCompiler("n1");

        for (ClusterSnapshot snapshot : List.of(first, second, first)) {
            Compilation expected = new PolicyCompiler().compile(snapshot, "n1");
            Compilation actual = incremental.compile(snapshot);
            assertThat(actual.ruleset()).isEqualTo(expected.ruleset());
            assertThat(actual.diagnostics()).isEqualTo(expected.diagnostics()).hasSize(1);
        }
        FakeKernel kernel = new FakeKernel(incremental.compile(second).ruleset());
        assertThat(kernel.forwards(FE, DB, TCP, 80)).isFalse();
    }

    @Test
    void blameNamesOnlyThePoliciesThatFailAloneAndTheirFirstFailingPeer() {
        ValidPolicy good = valid("good", new AllowRule(0, List.of(block("10.0.0.0/8")), List.of()));
        ValidPolicy bad = valid("bad", new AllowRule(0, List.of(block("10.0.0.0/8")), List.of()),
                new AllowRule(1, List.of(block("10.0.0.0/8"), block("192.0.2.0/24")), List.of()));
        PodGroup group = new PodGroup(PolicyType.INGRESS, "k", List.of(bad, good));
        Consumer<PodGroup> compile = g -> g.policies.forEach(p -> p.rules(PolicyType.INGRESS).forEach(r -> r.peers()
                .forEach(peer -> {
                    if (((AllowedPeer.Block) peer).description().startsWith("192.0.2")) {
                        throw new IllegalStateException("no");
                    }
                })));

        PolicyFailures.GroupFailed failed = PolicyFailures.blame(group, new IllegalStateException("no"), compile);

        assertThat(failed.failures).singleElement().satisfies(f -> {
            assertThat(f.ref()).isEqualTo("dev/bad");
            assertThat(f.field()).isEqualTo("spec.ingress[1].from[1]");
        });
    }

    @Test
    void whenNoPolicyFailsAloneEveryValidPolicyOfTheGroupIsBlamedAndNoneWhenAllHaveFailedAlready() {
        ValidPolicy a = valid("a");
        ValidPolicy b = valid("b");
        PodGroup group = new PodGroup(PolicyType.INGRESS, "k", List.of(a, b));
        RuntimeException cause = new IllegalStateException("only together");

        assertThat(PolicyFailures.blame(group, cause, g -> {}).failures)
                .extracting(PolicyFailures.Failure::ref).containsExactly("dev/a", "dev/b");
        PodGroup failedAlready = new PodGroup(PolicyType.INGRESS, "k",
                List.of(PolicyFailures.failClosed(a), PolicyFailures.failClosed(b)));
        assertThatThrownBy(() -> PolicyFailures.blame(failedAlready, cause, g -> {})).isSameAs(cause);
    }

    private static AllowedPeer.Block block(String cidr) {
        return new AllowedPeer.Block(List.of(io.nftpolicy.net.Cidr.parse(cidr)), cidr);
    }

    private static ValidPolicy valid(String name, AllowRule... rules) {
        return new ValidPolicy("dev", name, io.nftpolicy.selector.Selector.all(), java.util.EnumSet.of(PolicyType.INGRESS),
                java.util.Map.of(PolicyType.INGRESS, List.of(rules)), true);
    }
}
