package io.nftpolicy.bench.dataplane;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * What the figures were taken on. The load averages before and after say whether the machine was quiet: a
 * connection rate is bounded by CPU, so anything else running lowers it (ratios taken round by round suffer less).
 */
record Environment(String kernel, String nft, int cpus, String cpuModel, String java, Instant start, String loadBefore,
                   String loadAfter) {

    static Environment capture() {
        return new Environment(read("/proc/sys/kernel/osrelease"), nftVersion(),
                Runtime.getRuntime().availableProcessors(), readCpuModel(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                Instant.now().truncatedTo(ChronoUnit.SECONDS), loadAverage(), null);
    }

    Environment finished() {
        return new Environment(kernel, nft, cpus, cpuModel, java, start, loadBefore, loadAverage());
    }

    String summary() {
        return String.format(Locale.ROOT, "%s UTC; kernel %s; %s; %d CPUs (%s); %s; load average (1/5/15 min) "
                        + "before %s, after %s", start, kernel, nft, cpus, cpuModel, java, loadBefore,
                loadAfter == null ? "?" : loadAfter);
    }

    private static String loadAverage() {
        String[] fields = read("/proc/loadavg").split(" ");
        return fields.length >= 3 ? fields[0] + " " + fields[1] + " " + fields[2] : "?";
    }

    private static String readCpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).strip()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static String nftVersion() {
        try {
            Process p = new ProcessBuilder("nft", "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).strip();
            p.waitFor();
            return out;
        } catch (IOException e) {
            return "nft: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "nft: interrupted";
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return "?";
        }
    }
}
