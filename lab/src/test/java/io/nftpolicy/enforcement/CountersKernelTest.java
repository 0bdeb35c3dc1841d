package io.nftpolicy.enforcement;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.compile.RuleCounters;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.stats.AcceptCount;
import io.nftpolicy.stats.DropCount;
import io.nftpolicy.stats.PolicyCounters;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Counters on a lab node, judged by real connections: the allow rule that let a connection through counts it under
 * its policy and rule, the isolated pod that a connection was denied to counts the drop under its own name and the
 * policies isolating it, and an incremental apply of an unrelated change keeps what was counted.
 *
 * <p>Namespace t on node-1: clients c (app=c) and d (app=d), servers s (app=s) and q (app=q), TCP 80. Policy t/s-in
 * admits app=c to s on TCP 80; t/s-in-too names the same peer and port, so both share one rule.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class CountersKernelTest {
    private static final String NODE = "node-1";
    private static final Endpoint HTTP = Endpoint.tcp(80);
    private static final Map<String, String> ADDRESSES = Map.of("t/c", "10.244.1.2", "t/d", "10.244.1.3",
            "t/s", "10.244.1.4", "t/q", "10.244.1.5");

    private Lab lab;

    @BeforeAll
    void startLab() throws Exception {
        List<LabPod> pods = new ArrayList<>();
        ADDRESSES.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                pods.add(new LabPod(e.getKey(), NODE, List.of(e.getValue()), List.of(HTTP))));
        lab = Lab.start(pods, LabOptions.defaults().withProbeTimeout(Duration.ofMillis(300))
                .withPrefix("cntr" + ThreadLocalRandom.current().nextInt(1000, 10000)));
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void theAllowRuleCountsTheConnectionItAllowedAndTheIsolatedPodCountsTheOneDeniedToIt() throws Exception {
        Ruleset ruleset = counted(snapshot(false));
        try (Nftables nft = Nftables.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE))) {
            LibnftablesExecutor executor = new LibnftablesExecutor(nft);
            new RulesetApplier(executor).apply(ruleset);
            PolicyCounters.Report before = PolicyCounters.attribute(ruleset, executor.readCounters().orElseThrow());

            for (int i = 0; i < 3; i++) {
                assertThat(lab.connects("t/c", "t/s", HTTP, IpFamily.IPV4)).as("c->s allowed").isTrue();
            }
            assertThat(lab.connects("t/d", "t/s", HTTP, IpFamily.IPV4)).as("d->s denied").isFalse();
            PolicyCounters.Report after = PolicyCounters.attribute(ruleset, executor.readCounters().orElseThrow());

            assertThat(after.warnings()).isEmpty();
            AcceptCount allowed = accept(after, "t/s-in");
            assertThat(allowed.packets() - accept(before, "t/s-in").packets())
                    .as("one first packet per connection").isEqualTo(3);
            assertThat(allowed.bytes()).isPositive();
            assertThat(allowed.rule()).isEqualTo("ingress[0].from[0]");
            assertThat(allowed.sharedWith()).containsExactly("t/s-in-too ingress[0].from[0]");
            assertThat(accept(after, "t/s-in-too").packets()).isEqualTo(allowed.packets());

            DropCount dropped = drop(after, "t/s");
            assertThat(dropped.packets() - drop(before, "t/s").packets()).as("the denied SYN").isPositive();
            assertThat(dropped.isolatedBy()).containsExactly("t/s-in", "t/s-in-too");
            assertThat(drop(after, "t/q").packets()).as("nothing was sent to q").isZero();
            assertThat(new RulesetApplier(executor).verify(ruleset).differences())
                    .as("counter values are no drift").isEmpty();
        }
    }

    @Test
    void countersSurviveAnIncrementalApplyOfAnUnrelatedChange() throws Exception {
        Ruleset first = counted(snapshot(false));
        Ruleset second = counted(snapshot(true));
        try (Nftables nft = Nftables.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE))) {
            LibnftablesExecutor executor = new LibnftablesExecutor(nft);
            RulesetApplier applier = new RulesetApplier(executor);
            applier.apply(first);
            assertThat(lab.connects("t/c", "t/s", HTTP, IpFamily.IPV4)).isTrue();
            assertThat(lab.connects("t/d", "t/s", HTTP, IpFamily.IPV4)).isFalse();
            PolicyCounters.Report before = PolicyCounters.attribute(first, executor.readCounters().orElseThrow());

            ApplyResult result = applier.apply(second);

            assertThat(result.kind()).isEqualTo(ApplyResult.Kind.INCREMENTAL);
            PolicyCounters.Report after = PolicyCounters.attribute(second, executor.readCounters().orElseThrow());
            assertThat(accept(after, "t/s-in").packets()).isPositive().isEqualTo(accept(before, "t/s-in").packets());
            assertThat(drop(after, "t/s").packets()).isPositive().isEqualTo(drop(before, "t/s").packets());
            assertThat(drop(after, "t/q").isolatedBy()).as("the change was applied").containsExactly("t/q-in");
        }
    }

    private static Ruleset counted(ClusterSnapshot snapshot) {
        return new RuleCounters().apply(new EstablishedFlows().apply(new PolicyCompiler().compile(snapshot, NODE)
                .ruleset()));
    }

    private static AcceptCount accept(PolicyCounters.Report report, String policy) {
        return report.accepts().stream().filter(a -> a.policy().equals(policy)).findFirst().orElseThrow();
    }

    private static DropCount drop(PolicyCounters.Report report, String pod) {
        return report.drops().stream().filter(d -> d.pod().equals(pod) && d.direction() == PolicyType.INGRESS)
                .findFirst().orElseThrow();
    }

    /** With {@code isolateQ}, the unrelated change: a policy isolating q for ingress (admitting d). */
    private static ClusterSnapshot snapshot(boolean isolateQ) {
        List<Pod> pods = new ArrayList<>();
        ADDRESSES.keySet().stream().sorted().forEach(ref -> pods.add(new Pod("t", ref.substring(2),
                Map.of("app", ref.substring(2)), NODE, false, PodPhase.RUNNING, false, List.of(ADDRESSES.get(ref)),
                List.of(ContainerPort.named("http", 80, Protocol.TCP)))));
        List<NetworkPolicy> policies = new ArrayList<>(List.of(ingress("s-in", "s", "c"), ingress("s-in-too", "s", "c")));
        // q is isolated in both snapshots, by another policy in the second: its chain and drop element move.
        policies.add(ingress(isolateQ ? "q-in" : "q-first", "q", isolateQ ? "d" : "c"));
        return new ClusterSnapshot(List.of(new Namespace("t", Map.of())), pods, policies);
    }

    private static NetworkPolicy ingress(String name, String selected, String from) {
        return new NetworkPolicy("t", name, LabelSelector.matchLabels(Map.of("app", selected)), List.of("Ingress"),
                List.of(new PolicyRule(List.of(PolicyPeer.pods(LabelSelector.matchLabels(Map.of("app", from)))),
                        List.of(PolicyPort.tcp(80)))), List.of());
    }
}
