package io.nftpolicy.cli;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

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
                        + "gc %d ms (%d), jit %d ms%s%n",
                beforeMain, String.join(" | ", PHASES), ManagementFactory.getRuntimeMXBean().getUptime(),
                process / 1_000_000, gcTime, gcCount,
                ManagementFactory.getCompilationMXBean().getTotalCompilationTime(), threadCpu(process / 1_000_000));
    }

    /**
     * CPU time by thread, from Linux's /proc (10 ms ticks): {@code | cpu by thread: main 900, C1 CompilerThre 420,
     * ...} ("java" is the main thread; "ended" the threads that are gone, such as the readers of a YAML List's
     * parts). The JIT compiler's and the collector's threads are not Java threads that the management beans report,
     * and the JIT figure above is their elapsed time, which a loaded machine inflates. Empty where /proc is not there.
     */
    private static String threadCpu(long processMillis) {
        Map<String, Long> ticks = new TreeMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                String stat = Files.readString(task.resolve("stat"));
                // pid (comm) state ppid ... utime stime: fields 14 and 15, counted after the closing parenthesis.
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks.merge(name.replaceAll("[0-9]+$", "").strip(),
                        Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long::sum);
            }
        } catch (IOException | RuntimeException e) {
            return "";
        }
        StringBuilder line = new StringBuilder(" | cpu by thread (ms):");
        ticks.entrySet().stream().filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> line.append(' ').append(e.getKey()).append(' ').append(e.getValue() * 10).append(','));
        long listed = ticks.values().stream().mapToLong(Long::longValue).sum() * 10;
        line.append(" ended ").append(Math.max(processMillis - listed, 0));
        return line.toString();
    }

    private static ThreadMXBean threads() {
        return ManagementFactory.getThreadMXBean();
    }
}
