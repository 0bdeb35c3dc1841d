package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Property: for any sequence of cluster edits, the diff from what was committed to the new model is accepted by the
 * (fake) kernel and leaves exactly the new model; it never deletes the table or a base chain, nor names any other
 * table; and diffing the result against the model gives nothing. Generated clusters and edits (relabelled, added,
 * removed and finished pods, added and removed policies, changed ports, namespace labels, rescheduled pods), fixed
 * seeds. Every seventh step diffs against the table read back instead, as after an agent restart.
 */
class RulesetDiffPropertyTest {
    private static final int SEEDS = 12;
    private static final int STEPS = 40;

    @Test
    void everyDiffIsAcceptedAndLeavesExactlyTheModelWithoutDeletingTheTableOrABaseChain() throws ApplyException {
        Transaction.Counts total = Transaction.Counts.NONE;
        int readBackSteps = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            ClusterSnapshot cluster = TestClusters.generated(seed);
            String node = ClusterGenerator.nodeName((int) (seed % 3));
            ClusterMutator mutator = new ClusterMutator(seed * 7919);
            FakeNft kernel = new FakeNft();
            TableState committed = TableState.absent();
            List<String> log = new ArrayList<>();
            for (int step = 0; step < STEPS; step++) {
                int edits = step == 0 ? 0 : 1 + (step % 3);
                for (int i = 0; i < edits; i++) {
                    cluster = mutator.mutate(cluster, log);
                }
                Ruleset desired = TestClusters.compile(cluster, node);
                boolean restart = step % 7 == 6;
                TableState from = restart ? TableState.readBack(kernel.readBack()) : committed;
                readBackSteps += restart ? 1 : 0;
                Transaction tx = RulesetDiff.between(from, desired, restart);
                String where = "seed " + seed + " step " + step + " after " + log;
                try {
                    kernel.run(tx);
                } catch (ApplyException e) {
                    fail(where + ": refused: " + e.getMessage() + "\n" + tx.render());
                }
                assertSafe(tx, desired, where);
                assertThat(NftRenderer.render(kernel.ruleset().orElseThrow())).as(where)
                        .isEqualTo(NftRenderer.render(FakeNft.normalized(desired)));
                assertThat(RulesetDiff.between(TableState.readBack(kernel.readBack()), desired).isEmpty()).as(where).isTrue();
                assertThat(RulesetDiff.between(TableState.committed(desired), desired).isEmpty()).as(where).isTrue();
                committed = TableState.committed(desired);
                total = total.plus(tx.counts());
            }
        }
        // The edits exercised every kind of change.
        assertThat(readBackSteps).isPositive();
        assertThat(total.elementsAdded()).isPositive();
        assertThat(total.elementsRemoved()).isPositive();
        assertThat(total.setsAdded()).isPositive();
        assertThat(total.setsRemoved()).isPositive();
        assertThat(total.chainsAdded()).isPositive();
        assertThat(total.chainsRemoved()).isPositive();
        assertThat(total.chainsChanged()).isPositive();
    }

    static void assertSafe(Transaction tx, Ruleset desired, String where) {
        Set<String> baseChains = desired.chains().stream().filter(c -> c.hook().isPresent()).map(Chain::name)
                .collect(Collectors.toSet());
        for (String command : tx.commands()) {
            assertThat(command).as(where).doesNotStartWith("delete table").doesNotStartWith("flush table")
                    .doesNotStartWith("flush ruleset").contains(" inet nftpolicy ");
            for (String base : baseChains) {
                assertThat(command).as(where).isNotEqualTo("delete chain inet nftpolicy " + base);
            }
        }
    }
}
