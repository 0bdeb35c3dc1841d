package io.nftpolicy.bench.dataplane;

import java.util.ArrayList;
import java.util.List;

/**
 * The cost of policy per new connection, on the kernel: rates of short TCP connections between lab pods placed on
 * generated pods' addresses, with (0) no table, (a) conntrack only, (b) the compiled ruleset and (c) the same
 * policies laid out linearly, alternating in one run, at several cluster sizes. Needs root, {@code ip} and
 * {@code nft}; run it with {@code bin/bench dataplane [options]} ({@code --help} lists them).
 */
public final class DataPlaneBenchmark {
    private DataPlaneBenchmark() {}

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (Options.UsageException e) {
            if (e.getMessage() != null) {
                System.err.println("bench dataplane: " + e.getMessage());
            }
            System.err.print(Options.USAGE);
            System.exit(e.getMessage() == null ? 0 : 2);
            return;
        }
        Environment environment = Environment.capture();
        System.out.println("data-plane benchmark: " + environment.summary());
        System.out.printf("sizes %s; %d rounds of %d ms per layout and placement (round 0 is warm-up); placements %s;"
                        + " one client thread%n", options.sizes().stream().map(Options.Cluster::label).toList(),
                options.rounds(), options.round().toMillis(), options.placements());
        System.out.println("connection rate is bounded by CPU: take final figures while the machine is otherwise idle");
        List<SizeResult> results = new ArrayList<>();
        for (Options.Cluster cluster : options.sizes()) {
            results.add(new SizeRun(options, cluster, System.out).run());
        }
        environment = environment.finished();
        Report.write(options, environment, results);
        System.out.println();
        System.out.print(Report.markdown(options, environment, results));
        System.out.println("written: " + options.out().resolve("dataplane.md") + ", "
                + options.out().resolve("dataplane-rounds.csv") + ", " + options.plots().resolve(Report.PLOT));
    }
}
