package io.nftpolicy.apiserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time of another process, from /proc/PID/stat (user + system), as a measurement sees it from outside. */
public final class ProcessCpu {
    /** Linux reports utime and stime in clock ticks: USER_HZ, 100 on every architecture the project runs on. */
    private static final double TICKS_PER_SECOND = 100.0;

    private ProcessCpu() {}

    public static double seconds(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / TICKS_PER_SECOND;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The pid that {@code bin/cluster up} recorded for one control-plane component. */
    static long componentPid(ControlPlane cluster, String component) {
        try {
            return Long.parseLong(Files.readString(cluster.runDir().resolve(component + ".pid")).strip());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
