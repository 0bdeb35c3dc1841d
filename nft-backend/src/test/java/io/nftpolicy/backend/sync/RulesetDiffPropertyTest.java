package io.nftpolicy.backend.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.nftpolicy.backend.kernel.ForeignObject;
import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Properties of every diff, over generated clusters and edits (relabelled, added, removed and finished pods, added
 * and removed policies, changed ports, namespace labels, rescheduled pods) and over hand-made tables with what the
 * compiler never writes (elements out of order, keys twice, two sets of one name, long comments), fixed seeds:
 * <ul>
 *   <li>the (fake) kernel accepts it, and it leaves exactly the new model;</li>
 *   <li>it never deletes the table or a base chain, nor names any other table;</li>
 *   <li>diffing the result against the model gives nothing;</li>
 *   <li>it sends no more than the two tables differ by ({@link DiffBound});</li>
 *   <li>from the state kept from the previous diff it is the same as from a state built afresh (the shortcuts
 *       taken over unchanged sets and chains change nothing);</li>
 *   <li>what the table holds that nftpolicy never writes is deleted, each object once.</li>
 * </ul>
 * Every seventh step diffs against the table read back instead, as after an agent restart.
 */
class RulesetDiffPropertyTest {
    private static final int SEEDS = 12;
    private static final int STEPS = 40;

    @Test
    void everyDiffOfClusterEditsIsAcceptedMinimalAndLeavesExactlyTheModelWithoutDeletingTheTableOrABaseChain()
            throws ApplyException {
        Transaction.Counts total = Transaction.Counts.NONE;
        int readBackSteps = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            ClusterSnapshot cluster = TestClusters.generated(seed);
            String node = ClusterGenerator.nodeName((int) (seed % 3));
            ClusterMutator mutator = new ClusterMutator(seed * 7919);
            FakeNft kernel = new FakeNft();
            TableState committed = TableState.absent();
            Ruleset previous = null;
            List<String> log = new ArrayList<>();
            for (int step = 0; step < STEPS; step++) {
                int edits = step == 0 ? 0 : 1 + (step % 3);
                for (int i = 0; i < edits; i++) {
                    cluster = mutator.mutate(cluster, log);
                }
                Ruleset desired = TestClusters.compile(cluster, node);
                boolean restart = step % 7 == 6;
                String where = "seed " + seed + " step " + step + " after " + log;
                Transaction tx;
                TableState next;
                if (restart) {
                    readBackSteps++;
                    tx = RulesetDiff.between(TableState.readBack(kernel.readBack()), desired, true);
                    next = TableState.committed(desired);
                } else {
                    next = TableState.committed(desired, committed);
                    tx = RulesetDiff.between(committed, next, desired, false);
                    assertSameAsFromAFreshState(tx, previous, desired, where);
                }
                DiffBound.between(kernel.ruleset(), desired, restart, List.of()).assertBounds(tx, where);
                run(kernel, tx, where);
                assertSafe(tx, desired, where);
                assertHoldsExactly(kernel, desired, where);
                assertThat(RulesetDiff.between(next, desired).isEmpty()).as(where).isTrue();
                assertThat(RulesetDiff.between(next, TestClusters.compile(cluster, node)).isEmpty()).as(where).isTrue();
                committed = next;
                previous = desired;
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

    @Test
    void everyDiffOfHandMadeTablesIsAcceptedMinimalAndTheSameFromAKeptOrAFreshState() throws ApplyException {
        int run = 0;
        for (long seed = 1; seed <= 40; seed++) {
            Random random = new Random(seed);
            HandMadeTable table = HandMadeTable.initial(random);
            TableState committed = TableState.absent();
            Ruleset previous = null;
            // The kernel follows until a table is one no kernel holds.
            FakeNft kernel = new FakeNft();
            for (int step = 0; step < 60; step++) {
                int edits = random.nextInt(4);
                for (int i = 0; i < edits; i++) {
                    table.edit(random);
                }
                // The same ruleset again, as the same object or as an equal copy, now and then.
                Ruleset desired = random.nextInt(5) == 0 ? HandMadeTable.copy(table.ruleset()) : table.ruleset();
                if (random.nextInt(6) == 0 && previous != null) {
                    desired = random.nextBoolean() ? previous : HandMadeTable.copy(previous);
                }
                String where = "seed " + seed + " step " + step;
                TableState next = TableState.committed(desired, committed);
                Transaction tx = RulesetDiff.between(committed, next, desired, false);
                assertSameAsFromAFreshState(tx, previous, desired, where);
                DiffBound.between(Optional.ofNullable(previous), desired, false, List.of()).assertBounds(tx, where);
                assertSafe(tx, desired, where);
                kernel = kernel != null && aKernelCouldHold(desired) ? kernel : null;
                if (kernel != null) {
                    run(kernel, tx, where);
                    assertThat(keys(kernel.ruleset().orElseThrow())).as(where).isEqualTo(keys(desired));
                    run++;
                }
                committed = next;
                previous = desired;
            }
        }
        assertThat(run).as("steps run on the kernel").isGreaterThan(40 * 60 / 2);
    }

    /** Neither two sets of one name nor a map key to two chains: what no kernel holds. */
    private static boolean aKernelCouldHold(Ruleset r) {
        return r.sets().stream().map(NamedSet::name).distinct().count() == r.sets().size()
                && r.maps().stream().allMatch(m -> m.elements().stream().map(e -> List.of(e.key(), e.chain()))
                        .distinct().count() == m.elements().stream().map(MapElement::key).distinct().count());
    }

    @Test
    void whatTheTableHoldsThatNftpolicyNeverWritesIsDeletedOnceAndTheRestLeavesExactlyTheModel()
            throws ApplyException {
        for (long seed = 1; seed <= SEEDS; seed++) {
            Random random = new Random(seed);
            ClusterSnapshot cluster = TestClusters.generated(seed);
            String node = ClusterGenerator.nodeName((int) (seed % 3));
            ClusterMutator mutator = new ClusterMutator(seed * 7919);
            FakeNft kernel = new FakeNft();
            kernel.run(RulesetDiff.between(TableState.absent(), TestClusters.compile(cluster, node)));
            List<String> log = new ArrayList<>();
            for (int i = 0; i < 1 + random.nextInt(3); i++) {
                cluster = mutator.mutate(cluster, log);
            }
            Ruleset desired = TestClusters.compile(cluster, node);
            List<ForeignObject> foreign = foreignObjects(random);
            KernelTable held = kernel.readBack().orElseThrow();
            KernelTable withForeign = new KernelTable(held.comment(), held.sets(), held.maps(), held.chains(),
                    held.flags(), foreign);
            String where = "seed " + seed + " with " + foreign + " after " + log;

            Transaction tx = RulesetDiff.between(TableState.readBack(withForeign), desired, true);

            DiffBound.between(kernel.ruleset(), desired, true, foreign).assertBounds(tx, where);
            Set<String> names = foreign.stream().map(ForeignObject::name).collect(Collectors.toSet());
            for (ForeignObject f : foreign) {
                assertThat(tx.commands()).as(where).containsOnlyOnce("delete " + f.kind() + " inet nftpolicy " + f.name());
            }
            // The fake holds none of them: the rest of the transaction runs on it as on the kernel.
            Transaction ours = new Transaction();
            tx.steps().stream().filter(op -> !names.contains(objectName(op.object()))).forEach(ours::append);
            run(kernel, ours, where);
            assertSafe(tx, desired, where);
            assertHoldsExactly(kernel, desired, where);
        }
    }

    /** A few of what nft lists in a table and nftpolicy never writes, each kind now and then. */
    private static List<ForeignObject> foreignObjects(Random random) {
        List<ForeignObject> all = List.of(new ForeignObject("chain", "nat-postrouting", "base chain of type nat"),
                new ForeignObject("chain", "dropping", "base chain of policy drop"),
                new ForeignObject("set", "by-hand", "a set of type ether_addr"),
                new ForeignObject("map", "ports-to-marks", "a map to mark"),
                new ForeignObject("counter", "seen", "a counter"),
                new ForeignObject("flowtable", "fast", "a flowtable"));
        List<ForeignObject> some = all.stream().filter(f -> random.nextBoolean()).toList();
        return some.isEmpty() ? List.of(all.get(random.nextInt(all.size()))) : some;
    }

    private static String objectName(NftObject o) {
        return o instanceof NftObject.Declared d ? d.name() : o instanceof NftObject.Foreign f ? f.name() : "";
    }

    /** The diff from the state kept step to step is the one from the previous model's state built anew. */
    private static void assertSameAsFromAFreshState(Transaction tx, Ruleset previous, Ruleset desired, String where) {
        Transaction fresh = RulesetDiff.between(previous == null ? TableState.absent() : TableState.committed(previous),
                desired);
        assertThat(tx.render()).as(where + " (fresh state)").isEqualTo(fresh.render());
        assertThat(tx.steps()).as(where + " (fresh state)").isEqualTo(fresh.steps());
    }

    private static void run(FakeNft kernel, Transaction tx, String where) {
        try {
            kernel.run(tx);
        } catch (ApplyException e) {
            fail(where + ": refused: " + e.getMessage() + "\n" + tx.render());
        }
    }

    private static void assertHoldsExactly(FakeNft kernel, Ruleset desired, String where) throws ApplyException {
        assertThat(NftRenderer.render(kernel.ruleset().orElseThrow())).as(where)
                .isEqualTo(NftRenderer.render(FakeNft.normalized(desired)));
        assertThat(RulesetDiff.between(TableState.readBack(kernel.readBack()), desired).isEmpty()).as(where).isTrue();
    }

    /** Per set or map name, its keys: what a model with a key twice, or a name twice, can be compared by. */
    private static Map<String, Set<Object>> keys(Ruleset r) {
        Map<String, Set<Object>> keys = new TreeMap<>();
        r.sets().forEach(s -> s.elements().forEach(e -> keys.computeIfAbsent(s.name(), n -> new HashSet<>()).add(e.key())));
        r.maps().forEach(m -> m.elements().forEach(e -> keys.computeIfAbsent(m.name(), n -> new HashSet<>()).add(e.key())));
        return keys;
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
