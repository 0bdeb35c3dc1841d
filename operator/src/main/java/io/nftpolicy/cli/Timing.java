package io.nftpolicy.cli;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a short command's time goes, for the start-up figures of docs/benchmarks.md: with
 * {@code -Dnftpolicy.timing=true} (through bin/nftpolicy: {@code NFTPOLICY_JAVA_OPTS=-Dnftpolicy.timing=true}), one
 * line on standard error at exit with the JVM's start before {@code main}, each phase's wall and main-thread CPU
 * time, and the collector's and JIT compiler's share. Off, it costs a field read per phase: the management classes
 * it uses are loaded only when on.
 */
final class Timing {
    private static final boolean ON = Boolean.getBoolean("nftpolicy.timing");
    private static final List<String> PHASES = new ArrayList<>();
    private static long lastWall;
    private static long lastCpu;
    private static long beforeMain;

    private Timing() {}

    /** Called first thing in main: the time until now is the JVM's own start. */
    static void start() {
        if (ON) {
            beforeMain = ManagementFactory.getRuntimeMXBean().getUptime();
            lastWall = System.nanoTime();
            lastCpu = threads().getCurrentThreadCpuTime();
            Runtime.getRuntime().addShutdownHook(new Thread(Timing::report));
        }
    }

    /** Ends the phase {@code name}, which began where the previous one ended. */
    static void phase(String name) {
        if (ON && lastWall != 0) {
            long wall = System.nanoTime();
            long cpu = threads().getCurrentThreadCpuTime();
            PHASES.add(String.format(Locale.ROOT, "%s %d ms (cpu %d)", name, (wall - lastWall) / 1_000_000,
                    (cpu - lastCpu) / 1_000_000));
            lastWall = wall;
            lastCpu = cpu;
        }
    }

    private static void report() {
        long gcTime = 0;
        long gcCount = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcTime += Math.max(gc.getCollectionTime(), 0);
            gcCount += Math.max(gc.getCollectionCount(), 0);
        }
        long process = ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
        System.err.printf(Locale.ROOT, "nftpolicy: timing: before main %d ms | %s | whole %d ms, process cpu %d ms, "
                        + "gc %d ms (%d), jit %d ms%n",
                beforeMain, String.join(" | ", PHASES), ManagementFactory.getRuntimeMXBean().getUptime(),
                process / 1_000_000, gcTime, gcCount,
                ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
    }

    private static ThreadMXBean threads() {
        return ManagementFactory.getThreadMXBean();
    }
}
