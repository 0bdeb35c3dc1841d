package io.nftpolicy.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.sync.Drift;
import io.nftpolicy.backend.sync.SteppedVerifier;
import io.nftpolicy.backend.sync.SteppedVerifier.Step;
import io.nftpolicy.compile.IncrementalCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plan of a stepped drift check: pacing, steps dropped when they overlapped a commit, a changing ruleset. */
class DriftCycleTest {
    private static final String NODE = ClusterGenerator.nodeName(0);
    private static final Ruleset RULESET = new IncrementalCompiler(NODE)
            .compile(ClusterGenerator.generate(new ClusterGenerator.Size(3, 6, 2, 3, 7L))).ruleset();
    private static final long INTERVAL = Duration.ofSeconds(10).toNanos();
    private static final Drift NONE = new Drift(List.of());

    private final DriftCycle cycle = new DriftCycle(Duration.ofSeconds(10));

    @Test
    void aCycleRunsEveryStepOnceSpreadOverHalfTheInterval() {
        cycle.start(RULESET, 0);
        List<Step> ran = new ArrayList<>();
        long now = 0;
        while (cycle.active()) {
            assertThat(cycle.nextStepNanos()).isGreaterThanOrEqualTo(now);
            now = cycle.nextStepNanos();
            ran.add(cycle.next());
            cycle.completed(NONE, now);
        }

        assertThat(ran).containsExactlyElementsOf(SteppedVerifier.cycle(RULESET));
        int n = ran.size();
        long spread = (long) (INTERVAL * DriftCycle.SPREAD);
        assertThat(now).as("the last step, %d gaps after the first of %d", n - 1, n)
                .isBetween(spread / n * (n - 1) - n, spread / n * (n - 1) + n);
        assertThat(cycle.found().isEmpty()).isTrue();
    }

    @Test
    void aStepThatOverlappedACommitIsRedoneAtOnceThenSkipped() {
        cycle.start(RULESET, 0);
        Step first = cycle.next();

        for (int i = 0; i < DriftCycle.MAX_REDOS; i++) {
            cycle.overlapped(1000 + i);
            assertThat(cycle.next()).isEqualTo(first);
            assertThat(cycle.nextStepNanos()).isEqualTo(1000 + i);
        }
        cycle.overlapped(2000);

        assertThat(cycle.next()).as("skipped to the next cycle").isNotEqualTo(first);
        assertThat(cycle.nextStepNanos()).isGreaterThan(2000);
        assertThat(cycle.redone()).isEqualTo(DriftCycle.MAX_REDOS);
        assertThat(cycle.skipped()).isEqualTo(1);
        assertThat(cycle.found().isEmpty()).as("an overlapped step never reports").isTrue();
    }

    @Test
    void aCompletedStepResetsTheOverlapCount() {
        cycle.start(RULESET, 0);
        cycle.overlapped(1);
        cycle.overlapped(2);
        cycle.completed(NONE, 3);
        Step second = cycle.next();
        for (int i = 0; i < DriftCycle.MAX_REDOS; i++) {
            cycle.overlapped(10 + i);
        }

        assertThat(cycle.next()).isEqualTo(second);
        assertThat(cycle.skipped()).isZero();
    }

    @Test
    void setsAddedDuringTheCycleAreCheckedInIt() {
        cycle.start(RULESET, 0);
        NamedSet added = new NamedSet("added-set", List.of(io.nftpolicy.ruleset.KeyType.IPV4_ADDR), false, "",
                List.of());
        List<NamedSet> sets = new ArrayList<>(RULESET.sets());
        sets.add(added);
        Ruleset grown = new Ruleset(RULESET.family(), RULESET.table(), RULESET.comment(), sets, RULESET.maps(),
                RULESET.chains());

        cycle.follow(grown);
        cycle.follow(grown);
        List<Step> ran = new ArrayList<>();
        while (cycle.active()) {
            ran.add(cycle.next());
            cycle.completed(NONE, cycle.nextStepNanos());
        }

        assertThat(ran).filteredOn(s -> s.equals(Step.set("added-set"))).hasSize(1);
        assertThat(ran).hasSize(SteppedVerifier.cycle(RULESET).size() + 1);
    }

    @Test
    void aCycleIsOverdueAfterAnInterval() {
        cycle.start(RULESET, 5);

        assertThat(cycle.overdue(5 + INTERVAL - 1)).isFalse();
        assertThat(cycle.overdue(5 + INTERVAL)).isTrue();
        cycle.abandon();
        assertThat(cycle.overdue(5 + INTERVAL)).as("nothing left to do").isFalse();
    }

    @Test
    void differencesFoundAreKept() {
        cycle.start(RULESET, 0);
        cycle.completed(new Drift(List.of("set x: missing")), 1);

        assertThat(cycle.found().differences()).containsExactly("set x: missing");
    }
}
