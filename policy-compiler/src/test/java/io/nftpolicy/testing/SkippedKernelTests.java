package io.nftpolicy.testing;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.TestTag;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Counts the {@link KernelTest}s a run skipped and says so loudly when the run ends, so that a green build as
 * non-root is not mistaken for a tested kernel path. Registered through META-INF/services (this test jar is on
 * every module's test class path); a skipped test class counts as all of its tests.
 */
public final class SkippedKernelTests implements TestExecutionListener {
    private static final TestTag KERNEL = TestTag.create(KernelTest.TAG);

    private final PrintStream out;
    private final String where;
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong ran = new AtomicLong();
    private volatile TestPlan plan;

    public SkippedKernelTests() {
        this(System.err, Path.of("").toAbsolutePath().getFileName().toString());
    }

    SkippedKernelTests(PrintStream out, String where) {
        this.out = out;
        this.where = where;
    }

    @Override
    public void testPlanExecutionStarted(TestPlan testPlan) {
        plan = testPlan;
        skipped.set(0);
        ran.set(0);
    }

    @Override
    public void executionSkipped(TestIdentifier test, String reason) {
        // Skipped for another reason (e.g. a measurement not asked for): not the kernel path going untested.
        if (!test.getTags().contains(KERNEL) || reason == null || !reason.startsWith(KernelTestCondition.REASON)) {
            return;
        }
        skipped.addAndGet(test.isTest() ? 1 : plan.getDescendants(test).stream().filter(TestIdentifier::isTest).count());
    }

    @Override
    public void executionFinished(TestIdentifier test, TestExecutionResult result) {
        if (test.isTest() && test.getTags().contains(KERNEL)) {
            ran.incrementAndGet();
        }
    }

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        if (skipped.get() > 0) {
            out.printf("%n*** %s: %d KERNEL TESTS SKIPPED (%d ran): they need root (network namespaces, nftables). "
                    + "Run the build as root to run them. ***%n%n", where, skipped.get(), ran.get());
            out.flush();
        }
    }

    /** Kernel tests skipped since the plan started. */
    long skipped() {
        return skipped.get();
    }
}
