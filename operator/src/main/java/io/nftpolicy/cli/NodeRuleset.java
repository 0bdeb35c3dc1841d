package io.nftpolicy.cli;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.compile.Compilation;
import io.nftpolicy.compile.DropLogs;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.FailClosed;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.compile.RuleCounters;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The ruleset one node enforces, from a command's {@code --input}: reads the snapshot, compiles it for the node, and
 * reports on standard error, as warnings, what was skipped or is invalid. Shared by compile, apply and verify, so
 * that the three say the same things about the same input.
 */
final class NodeRuleset {
    private NodeRuleset() {}

    static Compilation compile(String input, String node, EstablishedOption established, Main.Context context,
                               PrintWriter err) throws UserException {
        return compile(input, node, List.of(), established, DropLogs.Options.defaults(false), context, err);
    }

    /**
     * With {@code podCidrs} not empty: in fail-closed mode ({@link FailClosed}) for these pod CIDRs of the node.
     * Established flows are judged again after a change ({@link EstablishedFlows}) unless {@code established} keeps
     * them. The drops of annotated namespaces' pods, or of every pod, are logged as {@code dropLogs} says
     * ({@link DropLogs}). Allow rules and isolation drops count ({@link RuleCounters}), logged ones too.
     */
    static Compilation compile(String input, String node, List<IpRange> podCidrs, EstablishedOption established,
                               DropLogs.Options dropLogs, Main.Context context, PrintWriter err) throws UserException {
        ClusterSnapshot snapshot = SnapshotInput.load(input, context.stdin(), err).snapshot();
        Timing.phase("read");
        warnIfNodeUnknown(snapshot, node, err);
        Compilation compilation = new PolicyCompiler().compile(snapshot, node);
        Timing.phase("compile");
        if (!podCidrs.isEmpty()) {
            FailClosed failClosed;
            try {
                failClosed = new FailClosed(node, podCidrs);
            } catch (IllegalArgumentException e) {
                throw new UserException("--pod-cidr: " + e.getMessage(), e);
            }
            compilation = failClosed.apply(compilation, snapshot);
        }
        compilation = new Compilation(enforced(compilation.ruleset(), snapshot, established, dropLogs),
                compilation.diagnostics());
        Timing.phase("counters");
        compilation.diagnostics().forEach(d -> Messages.warning(err, d.format()));
        return compilation;
    }

    /**
     * A compiled ruleset as the kernel holds it: drops logged as {@code dropLogs} says, established flows judged
     * again unless {@code established} keeps them, allow rules and isolation drops counted. explain's audit report
     * places kernel counters on it, so it is the one apply loads.
     */
    static Ruleset enforced(Ruleset compiled, ClusterSnapshot snapshot, EstablishedOption established,
                            DropLogs.Options dropLogs) {
        Ruleset ruleset = new DropLogs(dropLogs).apply(compiled, snapshot);
        if (!established.keep) {
            ruleset = new EstablishedFlows().apply(ruleset);
        }
        Timing.phase("established flows");
        // Allow rules and isolation drops count (docs/ruleset.md, "Counters"): what 'nftpolicy stats' reads. After
        // the drop logs, which find the isolation drop by its comment, as the counting drops before it have.
        return new RuleCounters().apply(ruleset);
    }

    /** A node name with a typo compiles silently into a ruleset that isolates nothing: say so. */
    static void warnIfNodeUnknown(ClusterSnapshot snapshot, String node, PrintWriter err) {
        Set<String> nodes = snapshot.pods().stream()
                .map(Pod::nodeName)
                .filter(n -> !n.isEmpty())
                .collect(Collectors.toCollection(TreeSet::new));
        if (!snapshot.pods().isEmpty() && !nodes.contains(node)) {
            String known = nodes.isEmpty() ? "none of its pods is scheduled"
                    : "its nodes: " + nodes.stream().limit(10).collect(Collectors.joining(", "))
                            + (nodes.size() > 10 ? ", ..." : "");
            Messages.warning(err, "no pod of the snapshot runs on node " + node + " (" + known + ")");
        }
    }
}
