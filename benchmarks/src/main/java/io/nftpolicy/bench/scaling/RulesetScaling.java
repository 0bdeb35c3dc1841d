package io.nftpolicy.bench.scaling;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.bench.compile.BenchCluster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * How node-0's ruleset and the transaction of one change grow with the cluster: for every size of a grid (pods ×
 * policies), the ruleset's chains, rules, sets, elements and text, the full compile time, and the bytes the
 * backend sends for one pod relabelled, one pod added and one policy created. Prints a Markdown table, writes it
 * and the plots (SVG). {@code bin/bench scaling} runs it; docs/benchmarks.md shows the result.
 *
 * <pre>
 * RulesetScaling [--pods 100,1000,10000] [--policies 20,200,2000] [--img docs/img]
 *                [--table benchmarks/target/scaling-sizes.md] [--runs 5] [--kernel auto|yes|no]
 * </pre>
 *
 * With a kernel (root and libnftables; {@code auto} uses one when there is), every transaction is also committed in
 * a network namespace of the run's own, and the relabel's time to commit is reported.
 */
public final class RulesetScaling {
    private List<Integer> pods = List.of(100, 1_000, 10_000);
    private List<Integer> policies = List.of(20, 200, 2_000);
    private Path img = Path.of("docs/img");
    private Path table = Path.of("benchmarks/target/scaling-sizes.md");
    private int runs = 5;
    private String kernel = "auto";

    public static void main(String[] args) throws Exception {
        RulesetScaling run = new RulesetScaling();
        try {
            run.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("scaling: error: " + e.getMessage());
            System.exit(2);
        }
        System.exit(run.run());
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--help") || option.equals("-h")) {
                System.out.println("usage: RulesetScaling [--pods 100,1000,10000] [--policies 20,200,2000] "
                        + "[--img docs/img] [--table FILE] [--runs 5] [--kernel auto|yes|no]");
                System.exit(0);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + ": missing value");
            }
            String value = args[++i];
            switch (option) {
                case "--pods" -> pods = numbers(option, value);
                case "--policies" -> policies = numbers(option, value);
                case "--img" -> img = Path.of(value);
                case "--table" -> table = Path.of(value);
                case "--runs" -> runs = numbers(option, value).get(0);
                case "--kernel" -> {
                    if (!List.of("auto", "yes", "no").contains(value)) {
                        throw new IllegalArgumentException("--kernel: \"" + value + "\" is not auto, yes or no");
                    }
                    kernel = value;
                }
                default -> throw new IllegalArgumentException("unknown option " + option + " (try --help)");
            }
        }
    }

    private static List<Integer> numbers(String option, String value) {
        try {
            List<Integer> numbers = Arrays.stream(value.split(",")).map(String::trim).map(Integer::parseInt).toList();
            if (numbers.stream().anyMatch(n -> n < 1)) {
                throw new IllegalArgumentException(option + ": \"" + value + "\": every number must be at least 1");
            }
            return numbers;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + ": \"" + value + "\" is not a list of numbers", e);
        }
    }

    private int run() throws Exception {
        boolean onKernel = switch (kernel) {
            case "yes" -> true;
            case "no" -> false;
            default -> kernelAvailable();
        };
        if (onKernel && !kernelAvailable()) {
            System.err.println("scaling: error: --kernel yes needs root and libnftables (Debian: libnftables1)");
            return 2;
        }
        System.err.printf("scaling: %d sizes, %s%n", pods.size() * policies.size(), onKernel
                ? "transactions committed in a network namespace of this run's own"
                : "transactions recorded, no kernel");
        SizeMeasurement measurement = new SizeMeasurement(runs, onKernel);
        List<SizeFigures> figures = new ArrayList<>();
        for (int p : pods) {
            for (int q : policies) {
                long start = System.nanoTime();
                figures.add(measurement.measure(BenchCluster.generate(p, q)));
                System.err.printf(Locale.ROOT, "scaling: %,d pods, %,d policies done in %.1f s%n", p, q,
                        (System.nanoTime() - start) / 1e9);
            }
        }
        ScalingReport report = new ScalingReport(figures);
        String markdown = report.table().toString();
        System.out.print(markdown);
        Path parent = table.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(table, markdown, StandardCharsets.UTF_8);
        System.out.println();
        System.out.println(report.transactionsOfTheLargestSize());
        System.out.println("goal (at most " + ScalingReport.GOAL_TRANSACTION_BYTES + " bytes for one pod change: "
                + ScalingReport.POD_CHANGES.stream().map(BenchCluster.Change::label).toList() + ", at every size): "
                + (report.podChangesWithinGoal() ? "met" : "NOT met"));
        for (Path chart : report.writeCharts(img)) {
            System.err.println("scaling: wrote " + chart);
        }
        System.err.println("scaling: wrote " + table);
        return 0;
    }

    private static boolean kernelAvailable() {
        if (!isRoot()) {
            return false;
        }
        try (Nftables ignored = Nftables.open()) {
            return true;
        } catch (NftablesException e) {
            return false;
        }
    }

    private static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }
}
