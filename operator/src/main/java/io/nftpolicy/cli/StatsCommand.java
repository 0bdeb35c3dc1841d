package io.nftpolicy.cli;

import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.stats.CounterReadings;
import io.nftpolicy.stats.PolicyCounters;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;

/**
 * {@code nftpolicy stats}: reads the counters of table {@code inet nftpolicy} through libnftables and attributes them
 * with the snapshot's ruleset for the node ({@link PolicyCounters}). Changes nothing.
 */
@Command(
        name = "stats",
        mixinStandardHelpOptions = true,
        description = {"Read the counters of table inet nftpolicy in this network namespace (or --netns) and say what "
                + "each policy rule let through and what isolation dropped, per pod, with the policies isolating it. "
                + "The snapshot must be the one applied: its ruleset maps each counter to its policy (chains that "
                + "differ are left out, with a warning). Allow counters count the first packet of each connection. "
                + "Staged policies (annotation nftpolicy.io/staged: \"true\") get would-accept and would-drop "
                + "records, and a line each: would allow N, would deny N.",
                "-o text (default), json or yaml: {node, rules: [{verdict, policy or pod, direction, packets, bytes, ...}]}; "
                        + "--output-file FILE writes it to a file. Needs root and libnftables (Debian package libnftables1)."},
        footer = {"", "Exit status: 0 counters printed, 1 no table inet nftpolicy, 2 unusable input or host."})
final class StatsCommand extends NodeTableCommand {
    StatsCommand(Main.Context context) {
        super(context);
    }

    @Override
    int run(Kernel kernel, Ruleset ruleset, OutputFormat format, PrintWriter err) throws UserException {
        Optional<CounterReadings> readings;
        try {
            readings = kernel.readCounters();
        } catch (ApplyException e) {
            throw readBackFailed(kernel, e);
        }
        if (readings.isEmpty()) {
            Messages.note(err, "no table inet nftpolicy in " + kernel.where() + ": nothing counted yet");
            return ExitCodes.DIFFERENT;
        }
        PolicyCounters.Report report = PolicyCounters.attribute(ruleset, readings.get());
        report.warnings().forEach(w -> Messages.warning(err, w));
        if (format == OutputFormat.TEXT) {
            output.print(StatsJson.text(report).stream().map(line -> line + "\n").collect(Collectors.joining()));
        } else {
            output.print(StatsJson.of(target.node, report), format);
        }
        return ExitCodes.OK;
    }
}
