package io.nftpolicy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.stats.CounterReadings;
import io.nftpolicy.stats.PolicyCounters;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

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
                + "records, and a line each: would allow N, would deny N. "
                + "Needs root and libnftables (Debian package libnftables1)."},
        footer = {"", "Exit status: 0 counters printed, 1 no table inet nftpolicy, 2 unusable input or host."})
final class StatsCommand implements Callable<Integer> {
    private final Main.Context context;

    @Spec
    CommandSpec spec;

    @Mixin
    NodeSnapshotOptions target;

    @Option(names = "--netns", paramLabel = "NAME",
            description = "Read this network namespace's table (/var/run/netns/NAME) instead of the process's own.")
    String netns;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "text (default), json or yaml.")
    String output;

    StatsCommand(Main.Context context) {
        this.context = context;
    }

    @Override
    public Integer call() throws UserException {
        if (!List.of("text", "json", "yaml").contains(output)) {
            throw new UserException("--output: expected text, json or yaml, got '" + output + "'");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (Kernel kernel = Kernel.open(context.host(), "stats", netns, false)) {
            Ruleset ruleset = target.compile(List.of(), context, err).ruleset();
            Optional<CounterReadings> readings;
            try {
                readings = kernel.readCounters();
            } catch (ApplyException e) {
                throw ApplyCommand.readBackFailed(kernel, e);
            }
            if (readings.isEmpty()) {
                Messages.note(err, "no table inet nftpolicy in " + kernel.where() + ": nothing counted yet");
                return ExitCodes.DIFFERENT;
            }
            PolicyCounters.Report report = PolicyCounters.attribute(ruleset, readings.get());
            report.warnings().forEach(w -> Messages.warning(err, w));
            ObjectNode json = StatsJson.of(target.node, report);
            switch (output) {
                case "json" -> out.println(write(new ObjectMapper(), json));
                case "yaml" -> out.print(write(new YAMLMapper(), json));
                default -> StatsJson.text(report).forEach(out::println);
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    private static String write(ObjectMapper mapper, ObjectNode json) {
        try {
            return mapper.writerWithDefaultPrettyPrinter().writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings and numbers always serializes", e);
        }
    }
}
