package io.nftpolicy.backend.sync;

import static io.nftpolicy.backend.sync.TestClusters.compile;
import static io.nftpolicy.backend.sync.TestClusters.generated;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Two applies of different rulesets into one network namespace at the same time, as two {@code nftpolicy apply}
 * runs would be (each a fresh applier that reads the table back, on a libnftables context of its own): the table
 * lock makes them take turns, so the table afterwards is one of the two rulesets, complete. Needs root.
 */
@KernelTest
class ConcurrentApplyKernelTest {
    private static final int ROUNDS = 40;

    @Test
    void twoConcurrentAppliesLeaveOneOfTheTwoRulesetsWhole() throws Exception {
        Ruleset a = compile(generated(11));
        Ruleset b = compile(generated(12));
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-concurrent");
             LibnftablesExecutor first = LibnftablesExecutor.openInNamespace(ns.name());
             LibnftablesExecutor second = LibnftablesExecutor.openInNamespace(ns.name());
             LibnftablesExecutor check = LibnftablesExecutor.openInNamespace(ns.name())) {
            new RulesetApplier(first).apply(a);
            List<String> mixed = new ArrayList<>();
            for (int round = 0; round < ROUNDS; round++) {
                CyclicBarrier start = new CyclicBarrier(2);
                CompletableFuture<ApplyResult> toA = CompletableFuture.supplyAsync(() -> apply(first, a, start));
                CompletableFuture<ApplyResult> toB = CompletableFuture.supplyAsync(() -> apply(second, b, start));
                toA.get(60, TimeUnit.SECONDS);
                toB.get(60, TimeUnit.SECONDS);

                RulesetApplier verifier = new RulesetApplier(check);
                Drift fromA = verifier.verify(a);
                Drift fromB = verifier.verify(b);
                if (!fromA.isEmpty() && !fromB.isEmpty()) {
                    mixed.add("round " + round + ": " + fromA.differences().size() + " differences from a, "
                            + fromB.differences().size() + " from b, e.g. " + fromA.differences().get(0));
                }
            }
            assertThat(mixed).as("rounds that left a table which is neither ruleset").isEmpty();
        }
    }

    @Test
    void theLockIsAFileNamedAfterTheNamespacesInodeThatAnotherProcessCanHold() throws Exception {
        Ruleset a = compile(generated(11));
        try (NetworkNamespace ns = NetworkNamespace.create("nftt-lockfile");
             LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(ns.name())) {
            Object inode = Files.getAttribute(Path.of("/var/run/netns", ns.name()), "unix:ino");
            Path file = TableLock.file("net:[" + inode + "]");
            Files.createDirectories(file.getParent());
            // Another process holds the table's lock (a POSIX record lock, as the JVM takes it) for 1.5 s.
            Process holder = new ProcessBuilder("python3", "-c", "import fcntl, sys, time\n"
                    + "f = open(sys.argv[1], 'a')\nfcntl.lockf(f, fcntl.LOCK_EX)\nprint('held', flush=True)\n"
                    + "time.sleep(1.5)\n", file.toString()).redirectErrorStream(true).start();
            try {
                assertThat(new String(holder.getInputStream().readNBytes(5))).isEqualTo("held\n");
                long start = System.nanoTime();
                new RulesetApplier(executor).apply(a);
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

                assertThat(waited).as("the apply waited for the other holder (ms)").isGreaterThan(1_000);
                assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(new RulesetApplier(executor).verify(a).differences()).isEmpty();
            } finally {
                holder.destroyForcibly();
            }
        }
    }

    private static ApplyResult apply(LibnftablesExecutor executor, Ruleset ruleset, CyclicBarrier start) {
        try {
            start.await(10, TimeUnit.SECONDS);
            return new RulesetApplier(executor).apply(ruleset);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
