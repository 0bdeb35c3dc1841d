package io.nftpolicy.backend.sync;

import static io.nftpolicy.backend.sync.TestClusters.compile;
import static io.nftpolicy.backend.sync.TestClusters.demo;
import static io.nftpolicy.testing.Clusters.cluster;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.backend.sync.NftObject.Verb;
import io.nftpolicy.backend.sync.Transaction.Operation;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.testing.PodFixture;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class RulesetApplierTest {
    private final FakeNft kernel = new FakeNft();
    private final RulesetApplier applier = new RulesetApplier(kernel);

    private void assertKernelHolds(Ruleset ruleset) {
        assertThat(NftRenderer.render(kernel.ruleset().orElseThrow()))
                .isEqualTo(NftRenderer.render(FakeNft.normalized(ruleset)));
    }

    private static Ruleset withNewPeer() {
        return compile(cluster(demo()).pod("dev/frontend-2", "node-2", "10.244.2.30", "role=frontend").snapshot());
    }

    @Test
    void firstApplyOnAnEmptyKernelReadsBackThenCreatesTheTableInOneTransaction() throws ApplyException {
        Ruleset ruleset = compile(demo());

        ApplyResult result = applier.apply(ruleset);

        assertThat(kernel.readBacks()).isEqualTo(1);
        assertThat(result.kind()).isEqualTo(ApplyResult.Kind.FULL);
        assertThat(result.readBack()).isTrue();
        assertThat(result.transactions()).isEqualTo(1);
        assertThat(result.operations()).isEqualTo(RulesetDiff.between(null, ruleset).operations());
        assertThat(result.bytes()).isEqualTo(kernel.lastTransaction().renderedBytes());
        assertThat(result.counts().elementsAdded()).isEqualTo(ruleset.elementCount());
        assertThat(result.counts().rulesWritten()).isEqualTo(ruleset.ruleCount());
        assertThat(result.durationNanos()).isPositive();
        assertThat(applier.knowsCommittedState()).isTrue();
        assertKernelHolds(ruleset);
    }

    @Test
    void reapplyingTheSameRulesetSendsNothingAndReadsNothing() throws ApplyException {
        applier.apply(compile(demo()));

        ApplyResult again = applier.apply(compile(demo()));

        assertThat(again.kind()).isEqualTo(ApplyResult.Kind.NO_OP);
        assertThat(again.operations()).isZero();
        assertThat(again.transactions()).isZero();
        assertThat(kernel.transactions()).hasSize(1);
        assertThat(kernel.readBacks()).isEqualTo(1);
    }

    @Test
    void aChangeSendsOnlyTheDifference() throws ApplyException {
        applier.apply(compile(demo()));

        ApplyResult result = applier.apply(withNewPeer());

        assertThat(result.kind()).isEqualTo(ApplyResult.Kind.INCREMENTAL);
        assertThat(result.readBack()).isFalse();
        assertThat(result.operations()).isEqualTo(1);
        assertThat(kernel.lastTransaction().steps()).containsExactly(
                new Operation(Verb.ADD, Keys.element("peer-9a3bd8b3-v4", "10.244.2.30", "dev/frontend-2")));
        assertKernelHolds(withNewPeer());
    }

    @Test
    void anAgentRestartReadsTheTableBackAndSendsOnlyWhatDiffers() throws ApplyException {
        applier.apply(compile(demo()));
        RulesetApplier restarted = new RulesetApplier(kernel);

        ApplyResult result = restarted.apply(withNewPeer());

        assertThat(result.readBack()).isTrue();
        assertThat(result.kind()).isEqualTo(ApplyResult.Kind.INCREMENTAL);
        assertThat(kernel.lastTransaction().steps()).containsExactly(
                new Operation(Verb.ADD, Keys.element("peer-9a3bd8b3-v4", "10.244.2.30", "dev/frontend-2")));
        assertKernelHolds(withNewPeer());
    }

    @Test
    void aRefusedTransactionLeavesTheStateUnknownAndTheNextApplyReadsBack() throws ApplyException {
        applier.apply(compile(demo()));
        // Someone removed an element by hand: the applier's idea of the kernel is now wrong.
        kernel.run(new Transaction().delete(Keys.key("peer-9a3bd8b3-v4", "10.244.1.11")));
        Ruleset without = compile(cluster(demo()).withoutPolicy("dev/test-network-policy").snapshot());
        Ruleset moved = compile(cluster(demo())
                .changePod("dev/frontend", p -> PodFixture.from(p).ips("10.244.1.99").build()).snapshot());

        assertThatThrownBy(() -> applier.apply(moved))
                .isInstanceOfSatisfying(ApplyException.class, e -> {
                    assertThat(e.nftError()).contains("element does not exist");
                    assertThat(e.failingCommand()).contains("delete element inet nftpolicy peer-9a3bd8b3-v4 { 10.244.1.11 }");
                    assertThat(e.getMessage()).contains("the next apply reads the table back");
                });
        assertThat(applier.knowsCommittedState()).isFalse();

        ApplyResult retry = applier.apply(moved);

        assertThat(retry.readBack()).isTrue();
        assertThat(kernel.readBacks()).isEqualTo(2);
        assertThat(kernel.lastTransaction().steps()).containsExactly(
                new Operation(Verb.ADD, Keys.element("peer-9a3bd8b3-v4", "10.244.1.99", "dev/frontend")));
        assertKernelHolds(moved);
        assertThat(applier.apply(without).kind()).isEqualTo(ApplyResult.Kind.INCREMENTAL);
        assertKernelHolds(without);
    }

    @Test
    void aTransactionRefusedOutrightKeepsNothingOfIt() throws ApplyException {
        applier.apply(compile(demo()));
        kernel.failNextRun("Error: Could not process rule: Cannot allocate memory\n"
                + "add element inet nftpolicy peer-9a3bd8b3-v4 { 10.244.2.30 comment \"dev/frontend-2\" }\n^^^^^\n");

        assertThatThrownBy(() -> applier.apply(withNewPeer()))
                .isInstanceOfSatisfying(ApplyException.class, e -> assertThat(e.failingCommand()).contains(
                        "add element inet nftpolicy peer-9a3bd8b3-v4 { 10.244.2.30 comment \"dev/frontend-2\" }"));

        assertKernelHolds(compile(demo()));
        assertThat(applier.apply(withNewPeer()).readBack()).isTrue();
        assertKernelHolds(withNewPeer());
    }

    @Test
    void verifyListsTheDriftAndTheNextApplyRepairsExactlyIt() throws ApplyException {
        Ruleset ruleset = compile(demo());
        applier.apply(ruleset);
        assertThat(applier.verify(ruleset).isEmpty()).isTrue();
        assertThat(applier.knowsCommittedState()).isTrue();
        kernel.run(Keys.handEdits());

        Drift drift = applier.verify(ruleset);

        assertThat(drift.differences()).containsExactly(
                "set peer-9a3bd8b3-v4: element 10.244.1.11 comment \"dev/frontend\" missing",
                "set leftover: not in the model",
                "map ingress-v4: extra element 10.244.1.77 comment \"stranger\" : jump ing-e2d199a7-dev_test-network-policy",
                "chain ing-e2d199a7-dev_test-network-policy: 6 rules in the kernel, 5 expected",
                "chain ing-e2d199a7-dev_test-network-policy: extra rule 6: {accept comment \"by hand\"}");
        assertThat(applier.knowsCommittedState()).isFalse();

        ApplyResult repair = applier.apply(ruleset);

        assertThat(RulesetDiffTest.operationKinds(kernel.lastTransaction()))
                .containsExactly("add element", "flush chain", "add rule", "add rule", "add rule", "add rule", "add rule",
                        "delete element", "delete set");
        assertThat(repair.readBack()).isTrue();
        assertThat(applier.verify(ruleset).isEmpty()).isTrue();
        assertKernelHolds(ruleset);
    }

    @Test
    void forgettingTheCommittedStateMakesTheNextApplyReadBack() throws ApplyException {
        applier.apply(compile(demo()));
        applier.forgetCommittedState();

        ApplyResult result = applier.apply(compile(demo()));

        assertThat(result.readBack()).isTrue();
        assertThat(result.kind()).isEqualTo(ApplyResult.Kind.NO_OP);
        assertThat(kernel.readBacks()).isEqualTo(2);
        assertThat(kernel.transactions()).hasSize(1);
    }

    @Test
    void aMissingTableIsTheOnlyDriftReported() throws ApplyException {
        assertThat(applier.verify(compile(demo())).differences()).containsExactly("table inet nftpolicy: missing");
    }

    @Test
    void aLargeColdStartIsSplitSoThatNoPodIsEverPartiallyFiltered() throws ApplyException {
        Ruleset ruleset = compile(ClusterGenerator.generate(new ClusterGenerator.Size(20, 30, 2, 8, 5)), "node-0");
        int limit = 150;
        RulesetApplier split = new RulesetApplier(kernel, RulesetApplier.Options.defaults().withColdStartMaxOperations(limit));

        ApplyResult result = split.apply(ruleset);

        assertThat(result.kind()).isEqualTo(ApplyResult.Kind.FULL);
        assertThat(result.transactions()).isGreaterThan(5).isEqualTo(kernel.transactions().size());
        assertThat(result.operations()).isEqualTo(RulesetDiff.between(null, ruleset).operations());
        assertKernelHolds(ruleset);
        // Replay the transactions one by one and look at the kernel between them.
        FakeNft replay = new FakeNft();
        int largestChain = ruleset.chains().stream().mapToInt(c -> c.rules().size() + 1).max().orElse(0);
        for (Transaction script : kernel.transactions()) {
            int operations = RulesetDiff.between(TableState.readBack(replay.readBack()), ruleset).operations();
            replay.run(script);
            int done = operations - RulesetDiff.between(TableState.readBack(replay.readBack()), ruleset).operations();
            assertThat(done).isLessThanOrEqualTo(Math.max(limit, largestChain));
            assertNoPodPartiallyFiltered(replay.ruleset().orElseThrow(), ruleset);
            // Stronger: no hook until the last part, which brings the base chains to a table otherwise complete.
            boolean hooked = replay.ruleset().orElseThrow().chains().stream().anyMatch(c -> c.hook().isPresent());
            assertThat(hooked).isEqualTo(
                    RulesetDiff.between(TableState.readBack(replay.readBack()), ruleset).operations() == 0);
        }
    }

    @Test
    void aSmallColdStartIsOneTransaction() throws ApplyException {
        ApplyResult result = new RulesetApplier(kernel, RulesetApplier.Options.defaults().withColdStartMaxOperations(10_000))
                .apply(compile(ClusterGenerator.generate(new ClusterGenerator.Size(20, 30, 2, 8, 5)), "node-0"));

        assertThat(result.transactions()).isEqualTo(1);
    }

    /**
     * Every dispatch element in the kernel jumps to a chain that has all its rules, while every set holds all its
     * elements; and a pod has either all its dispatch elements or none.
     */
    private static void assertNoPodPartiallyFiltered(Ruleset kernel, Ruleset model) {
        Map<String, Chain> chains = kernel.chains().stream().collect(Collectors.toMap(Chain::name, c -> c));
        Map<String, NamedSet> sets = kernel.sets().stream().collect(Collectors.toMap(NamedSet::name, s -> s));
        Map<String, Integer> podElements = new HashMap<>();
        Map<String, Integer> podElementsInModel = new HashMap<>();
        model.maps().forEach(m -> m.elements().forEach(e -> podElementsInModel.merge(e.comment(), 1, Integer::sum)));
        boolean anyDispatch = false;
        for (VerdictMap map : kernel.maps()) {
            for (MapElement e : map.elements()) {
                anyDispatch = true;
                podElements.merge(e.comment(), 1, Integer::sum);
                Chain want = model.chains().stream().filter(c -> c.name().equals(e.chain())).findFirst().orElseThrow();
                assertThat(chains).containsKey(e.chain());
                assertThat(chains.get(e.chain()).rules().stream().map(Rule::statement).toList())
                        .isEqualTo(want.rules().stream().map(Rule::statement).toList());
            }
        }
        if (anyDispatch) {
            for (NamedSet want : model.sets()) {
                assertThat(sets).containsKey(want.name());
                Set<Object> keys = sets.get(want.name()).elements().stream().map(SetElement::key).collect(Collectors.toSet());
                assertThat(keys).containsAll(want.elements().stream().map(SetElement::key).toList());
            }
        }
        podElements.forEach((pod, n) -> assertThat(n).as(pod).isEqualTo(podElementsInModel.get(pod)));
    }
}
