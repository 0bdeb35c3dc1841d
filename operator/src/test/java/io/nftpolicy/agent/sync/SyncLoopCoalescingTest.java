package io.nftpolicy.agent.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.agent.cache.CacheSnapshot;
import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.IncrementalCompiler;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The coalescing window is the least time between the starts of two syncs: a lone change is synced at once, a change
 * close behind a sync waits for the rest of the window and goes with every change that arrived meanwhile.
 */
class SyncLoopCoalescingTest {
    private final List<SyncReport> reports = new CopyOnWriteArrayList<>();

    /** A loop over an empty cluster and the fake kernel, its startup sync done. */
    private SyncLoop startedLoop(Duration window) {
        SyncLoop loop = new SyncLoop("node-1",
                () -> new CacheSnapshot(new ClusterSnapshot(List.of(), List.of(), List.of()), List.of(), Map.of()),
                new IncrementalCompiler("node-1")::compile, new RulesetApplier(new FakeNft()),
                SyncLoop.Options.defaults().withCoalesce(window));
        loop.addObserver(new SyncObserver() {
            @Override
            public void synced(SyncReport report) {
                reports.add(report);
            }
        });
        loop.start(() -> { });
        loop.step(false);
        assertThat(reports).extracting(SyncReport::trigger).containsExactly(Trigger.STARTUP);
        return loop;
    }

    @Test
    void aChangeArrivingAfterTheWindowIsSyncedAtOnce() throws Exception {
        SyncLoop loop = startedLoop(Duration.ofMillis(50));
        Thread.sleep(60);

        loop.changed(System.nanoTime());
        loop.step(false);

        assertThat(reports).extracting(SyncReport::trigger).containsExactly(Trigger.STARTUP, Trigger.EVENTS);
    }

    @Test
    void aChangeWithinTheWindowWaitsForItsRest() {
        SyncLoop loop = startedLoop(Duration.ofMinutes(1));

        loop.changed(System.nanoTime());
        Duration next = loop.step(false);

        assertThat(reports).as("no sync before the window ends").hasSize(1);
        assertThat(next).isGreaterThan(Duration.ofSeconds(30)).isLessThanOrEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void theChangesOfOneWindowGoInOneSyncTimedFromTheOldest() throws Exception {
        Duration window = Duration.ofSeconds(2);
        SyncLoop loop = startedLoop(window);
        Thread.sleep(window.toMillis());
        loop.changed(System.nanoTime());
        loop.step(false); // synced at once: its start opens a window

        long first = System.nanoTime();
        loop.changed(first);
        loop.changed(System.nanoTime());
        Duration wait = loop.step(false);
        loop.changed(System.nanoTime());
        assertThat(reports).as("waiting for the window").hasSize(2);
        Thread.sleep(wait.toMillis() + 1);
        loop.step(false);

        assertThat(reports).extracting(SyncReport::trigger)
                .containsExactly(Trigger.STARTUP, Trigger.EVENTS, Trigger.EVENTS);
        assertThat(reports.get(2).eventToKernelNanos().orElseThrow()).as("from the first change")
                .isGreaterThanOrEqualTo(wait.toNanos());
        assertThat(reports.get(2).queuedNanos().orElseThrow()).isGreaterThanOrEqualTo(wait.toNanos());
    }
}
