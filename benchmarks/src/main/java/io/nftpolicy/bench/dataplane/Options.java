package io.nftpolicy.bench.dataplane;

import io.nftpolicy.generate.ClusterGenerator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The run's parameters, from the command line.
 *
 * @param sizes      clusters to measure, as pods:policies
 * @param perNamespace most policies per namespace; namespaces = policies / perNamespace (at least one)
 * @param round      how long one layout is measured in one round, per placement
 * @param rounds     rounds per layout, the first of which is discarded as warm-up
 * @param slices     how many slices a round is cut into, interleaved: a b c 0 a b c 0 ...
 * @param settle     pause after loading the rulesets, before measuring; null: from the script size
 * @param placements same node, across nodes, or both
 * @param out        where the Markdown report and the per-round CSV go
 * @param plots      where the SVG plots go
 * @param seed       the generator's seed
 * @param clusterPolicies how many ClusterNetworkPolicies (b+) compiles in besides the NetworkPolicies
 *                   ({@link UndecidingClusterPolicies}), measured side by side with (b), which has none
 * @param alternating the cluster policies' rules alternate Accept and Deny (order-dependent: no two in a row
 *                    share a lookup), instead of all Deny
 * @param counters   whether (d), (b) with counters on, is measured in the same rounds
 * @param staged     whether (e), (d) with a staged deny-all in each probed namespace, is measured too (with (d))
 * @param twin       whether (b'), a second copy of (b), is measured too: the ratio of two equal tables
 */
record Options(List<Cluster> sizes, int perNamespace, Duration round, int rounds, int slices, Duration settle,
               Set<ProbePlan.Placement> placements, Path out, Path plots, long seed, int clusterPolicies,
               boolean alternating, boolean counters, boolean staged, boolean twin) {

    static final String USAGE = """
            usage: bench dataplane [options]
              --sizes P:N[,P:N...]       clusters of P pods and N policies (default 100:20,1000:200,10000:2000)
              --policies-per-namespace K at most K policies per namespace (default 70: a pod is then selected by
                                         up to 8, whose peers still fit the compiler's rule-per-peer chains)
              --round-seconds S          seconds per layout, placement and round (default 2)
              --rounds R                 rounds of a, b, c, 0; the first is warm-up and discarded (default 6)
              --slices K                 per round, (a), (b), (c), (0) alternate K times, each for S/K s (default 4)
              --settle-seconds S         pause after loading the rulesets, while the kernel finishes work left in
                                         the background (default: 1 + 1 per 10 MB loaded, at most 6)
              --placement same|cross|both  client on the server's node, on the other node, or both (default both)
              --out DIR                  report dataplane.md and rounds dataplane-rounds.csv (default target/dataplane)
              --plots DIR                SVG plots (default: --out)
              --seed N                   generator seed (default 1)
              --cluster-policies N       also (b+): (b) with N Admin ClusterNetworkPolicies, every probed pod their
                                         subject, none deciding a probed connection, alternating with the others
                                         (default 0: no (b+))
              --cluster-policy-actions deny|alternate
                                         the N policies' rules all Deny (default), or Accept and Deny in turn
              --counters                 also (d): (b) with counters on (docs/ruleset.md "Counters"), in a table
                                         of its own, interleaved in the same rounds
              --staged                   also (e): (d) with a staged deny-all (nftpolicy.io/staged) in each probed
                                         namespace, so the probed pods' first packets walk staged chains; implies
                                         --counters
              --twin                     also (b'): a second copy of (b) in a table of its own, after (d) and
                                         (e) in each slice: (b')/(b) is the method's own error for equal tables
            """;

    /** One cluster size. */
    record Cluster(int pods, int policies) {
        ClusterGenerator.Size generatorSize(int perNamespace, long seed) {
            int namespaces = Math.max(1, (policies + perNamespace - 1) / perNamespace);
            return new ClusterGenerator.Size(namespaces, Math.max(1, pods / namespaces), 2,
                    Math.max(1, policies / namespaces), seed);
        }

        String label() {
            return pods + " pods / " + policies + " policies";
        }
    }

    static Options parse(String[] args) {
        List<Cluster> sizes = List.of(new Cluster(100, 20), new Cluster(1000, 200), new Cluster(10000, 2000));
        int perNamespace = 70;
        double roundSeconds = 2;
        int rounds = 6;
        int slices = 4;
        Duration settle = null;
        Set<ProbePlan.Placement> placements = EnumSet.allOf(ProbePlan.Placement.class);
        Path out = Path.of("target/dataplane");
        Path plots = null;
        long seed = 1;
        int clusterPolicies = 0;
        boolean alternating = false;
        boolean counters = false;
        boolean staged = false;
        boolean twin = false;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("--help") || option.equals("-h")) {
                throw new UsageException(null);
            }
            if (option.equals("--twin")) {
                twin = true;
                continue;
            }
            if (option.equals("--counters") || option.equals("--staged")) {
                counters = true;
                staged |= option.equals("--staged");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new UsageException("option " + option + " needs a value");
            }
            String value = args[++i];
            try {
                switch (option) {
                    case "--sizes" -> sizes = sizes(value);
                    case "--policies-per-namespace" -> perNamespace = positive(option, Integer.parseInt(value));
                    case "--round-seconds" -> roundSeconds = Double.parseDouble(value);
                    case "--rounds" -> rounds = positive(option, Integer.parseInt(value));
                    case "--slices" -> slices = positive(option, Integer.parseInt(value));
                    case "--settle-seconds" -> settle = Duration.ofMillis(Math.round(Double.parseDouble(value) * 1000));
                    case "--placement" -> placements = switch (value) {
                        case "same" -> EnumSet.of(ProbePlan.Placement.SAME_NODE);
                        case "cross" -> EnumSet.of(ProbePlan.Placement.CROSS_NODE);
                        case "both" -> EnumSet.allOf(ProbePlan.Placement.class);
                        default -> throw new UsageException("--placement must be same, cross or both, got " + value);
                    };
                    case "--out" -> out = Path.of(value);
                    case "--plots" -> plots = Path.of(value);
                    case "--seed" -> seed = Long.parseLong(value);
                    case "--cluster-policies" -> clusterPolicies = Integer.parseInt(value);
                    case "--cluster-policy-actions" -> alternating = switch (value) {
                        case "deny" -> false;
                        case "alternate" -> true;
                        default -> throw new UsageException("--cluster-policy-actions must be deny or alternate, got "
                                + value);
                    };
                    default -> throw new UsageException("unknown option " + option);
                }
            } catch (NumberFormatException e) {
                throw new UsageException("option " + option + ": not a number: " + value);
            }
        }
        if (rounds < 2) {
            throw new UsageException("--rounds must be at least 2: the first round is discarded");
        }
        if (roundSeconds <= 0) {
            throw new UsageException("--round-seconds must be positive");
        }
        return new Options(sizes, perNamespace, Duration.ofMillis(Math.round(roundSeconds * 1000)), rounds, slices,
                settle, placements, out, plots != null ? plots : out, seed, Math.max(0, clusterPolicies),
                alternating, counters, staged, twin);
    }

    /** The pause after loading {@code bytes} of scripts across the nodes. */
    Duration settleAfter(long bytes) {
        if (settle != null) {
            return settle;
        }
        double seconds = Math.min(6, 1 + bytes / 10e6);
        return Duration.ofMillis(Math.round(seconds * 1000));
    }

    private static List<Cluster> sizes(String value) {
        List<Cluster> sizes = new ArrayList<>();
        for (String item : value.split(",")) {
            String[] parts = item.trim().split(":");
            if (parts.length != 2) {
                throw new UsageException("--sizes: expected pods:policies, got " + item);
            }
            sizes.add(new Cluster(positive("--sizes", Integer.parseInt(parts[0])),
                    positive("--sizes", Integer.parseInt(parts[1]))));
        }
        return sizes;
    }

    private static int positive(String option, int n) {
        if (n <= 0) {
            throw new UsageException(option + " must be positive, got " + n);
        }
        return n;
    }

    /** A bad command line; the message (or none, for --help) goes before the usage text. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
