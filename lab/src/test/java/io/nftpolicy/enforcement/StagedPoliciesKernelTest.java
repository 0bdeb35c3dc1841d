package io.nftpolicy.enforcement;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
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
import io.nftpolicy.stats.PolicyCounters;
import io.nftpolicy.stats.StagedAcceptCount;
import io.nftpolicy.stats.StagedDropCount;
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
 * Staged policies on a lab node, judged by real connections: a staged policy changes no verdict, in either
 * direction, and its counters say what it would have done.
 *
 * <p>Namespace t on node-1: client c (app=c), servers s (app=s) and q (app=q), TCP 80.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class StagedPoliciesKernelTest {
    private static final String NODE = "node-1";
    private static final Endpoint HTTP = Endpoint.tcp(80);
    private static final Map<String, String> ADDRESSES = Map.of("t/c", "10.244.1.2", "t/s", "10.244.1.4",
            "t/q", "10.244.1.5");

    private Lab lab;

    @BeforeAll
    void startLab() throws Exception {
        List<LabPod> pods = new ArrayList<>();
        ADDRESSES.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                pods.add(new LabPod(e.getKey(), NODE, List.of(e.getValue()), List.of(HTTP))));
        lab = Lab.start(pods, LabOptions.defaults().withProbeTimeout(Duration.ofMillis(300))
                .withPrefix("stgd" + ThreadLocalRandom.current().nextInt(1000, 10000)));
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void aStagedDenyAllChangesNoVerdictAndCountsWhatItWouldDrop() throws Exception {
        NetworkPolicy denyAll = new NetworkPolicy("t", "deny-s", selector("s"), List.of("Ingress"), List.of(),
                List.of(), true);
        Ruleset ruleset = compiled(snapshot(denyAll));
        try (Nftables nft = Nftables.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE))) {
            LibnftablesExecutor executor = new LibnftablesExecutor(nft);
            new RulesetApplier(executor).apply(ruleset);
            long before = wouldDrop(PolicyCounters.attribute(ruleset, executor.readCounters().orElseThrow()));

            for (int i = 0; i < 3; i++) {
                assertThat(lab.connects("t/c", "t/s", HTTP, IpFamily.IPV4)).as("staged: still allowed").isTrue();
            }

            PolicyCounters.Report after = PolicyCounters.attribute(ruleset, executor.readCounters().orElseThrow());
            assertThat(after.warnings()).isEmpty();
            assertThat(wouldDrop(after) - before).as("one first packet per connection").isEqualTo(3);
            assertThat(after.wouldDrop()).singleElement().satisfies(d -> {
                assertThat(d.policy()).isEqualTo("t/deny-s");
                assertThat(d.pod()).isEqualTo("t/s");
            });
            assertThat(after.drops()).allSatisfy(d -> assertThat(d.packets()).isZero());
        }
    }

    @Test
    void aStagedAllowOverAnIsolatedPodAllowsNothingAndCountsWhatItWouldAllow() throws Exception {
        NetworkPolicy isolate = new NetworkPolicy("t", "isolate-q", selector("q"), List.of("Ingress"), List.of(),
                List.of());
        NetworkPolicy allow = new NetworkPolicy("t", "allow-c", selector("q"), List.of("Ingress"),
                List.of(new PolicyRule(List.of(PolicyPeer.pods(selector("c"))), List.of(PolicyPort.tcp(80)))),
                List.of(), true);
        Ruleset ruleset = compiled(snapshot(isolate, allow));
        try (Nftables nft = Nftables.openInNamespace(lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE))) {
            LibnftablesExecutor executor = new LibnftablesExecutor(nft);
            new RulesetApplier(executor).apply(ruleset);

            assertThat(lab.connects("t/c", "t/q", HTTP, IpFamily.IPV4)).as("enforced isolation holds").isFalse();
            assertThat(lab.connects("t/c", "t/s", HTTP, IpFamily.IPV4)).as("s is not isolated").isTrue();

            PolicyCounters.Report report = PolicyCounters.attribute(ruleset, executor.readCounters().orElseThrow());
            assertThat(report.wouldAccept()).extracting(StagedAcceptCount::policy, StagedAcceptCount::rule)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("t/allow-c", "ingress[0].from[0]"));
            assertThat(report.wouldAccept().get(0).packets()).as("the SYN, and its retransmissions").isPositive();
            assertThat(report.drops()).filteredOn(d -> d.pod().equals("t/q")).singleElement()
                    .satisfies(d -> assertThat(d.packets()).isPositive());
        }
    }

    private static long wouldDrop(PolicyCounters.Report report) {
        return report.wouldDrop().stream().filter(d -> d.direction() == PolicyType.INGRESS)
                .mapToLong(StagedDropCount::packets).sum();
    }

    /** As the agent applies it: established flows judged again, counters on. */
    private static Ruleset compiled(ClusterSnapshot snapshot) {
        return new RuleCounters().apply(new EstablishedFlows().apply(new PolicyCompiler().compile(snapshot, NODE)
                .ruleset()));
    }

    private static ClusterSnapshot snapshot(NetworkPolicy... policies) {
        List<Pod> pods = new ArrayList<>();
        ADDRESSES.keySet().stream().sorted().forEach(ref -> pods.add(new Pod("t", ref.substring(2),
                Map.of("app", ref.substring(2)), NODE, false, PodPhase.RUNNING, false, List.of(ADDRESSES.get(ref)),
                List.of())));
        return new ClusterSnapshot(List.of(new Namespace("t", Map.of())), pods, List.of(policies));
    }

    private static LabelSelector selector(String app) {
        return LabelSelector.matchLabels(Map.of("app", app));
    }
}
