package io.nftpolicy.cli;

import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.netns.NetnsException;
import io.nftpolicy.backend.netns.NetnsThread;
import io.nftpolicy.backend.nflog.DropLogReader;
import io.nftpolicy.backend.nflog.DropRecord;
import io.nftpolicy.backend.nflog.NflogSocket;
import io.nftpolicy.backend.nflog.Suppressed;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.DropAttribution;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.ruleset.Ruleset;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nftpolicy drops}: the node's drop log, live, one line per connection attempt that policy dropped, like
 * {@code cilium monitor --type drop}. It binds the table's NFLOG group, so it cannot run while the agent reads the
 * same group (the agent's {@code --no-read-drop-log} leaves it free).
 */
@Command(
        name = "drops",
        mixinStandardHelpOptions = true,
        description = {"Print the connection attempts that policy drops on this node (or in --netns), live: one line "
                + "each, with the pods and the policies that isolate them (from --input), and how many the kernel "
                + "did not log because of the rate limit.",
                "Only the pods of namespaces annotated nftpolicy.io/log-drops=\"true\" are logged, or every pod when "
                        + "the table was applied with --log-drops. Needs root."},
        footer = {"", "Exit status: 0 after --count lines (or interrupted), 2 unusable input or host, or the NFLOG "
                + "group is held by another reader (the agent)."})
final class DropsCommand implements Callable<Integer> {
    private static final Duration REPORT_INTERVAL = Duration.ofSeconds(10);

    private final Main.Context context;

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--node"}, required = true, paramLabel = "NODE",
            description = "The node whose table logs the drops (records name it).")
    String node;

    @Option(names = {"-i", "--input"}, paramLabel = "FILE",
            description = "The snapshot the table was compiled from, to name pods and policies; without it, lines "
                    + "carry addresses and the dropping chain only. - reads standard input.")
    String input;

    /** Where the drops are read: the namespace's NFLOG group. */
    @Mixin
    NetnsOption netns;

    @Mixin
    DropLogGroupOption group;

    @Option(names = "--count", paramLabel = "N", description = "Stop after N lines of drops.")
    Integer count;

    @Mixin
    OutputOptions output;

    DropsCommand(Main.Context context) {
        this.context = context;
    }

    @Override
    public Integer call() throws UserException {
        boolean json = output.format(" (json is one object a line, as the drops come)", OutputFormat.TEXT,
                OutputFormat.JSON) == OutputFormat.JSON;
        if (count != null && count < 1) {
            throw new UserException("--count: must be at least 1, got " + count);
        }
        PrintWriter err = spec.commandLine().getErr();
        DropAttribution attribution = attribution(err);
        PrintWriter out = null;
        try (Kernel kernel = Kernel.open(context.host(), "drops", netns.name, false);
             NetnsThread thread = thread();
             NflogSocket socket = open(thread, kernel.where())) {
            Messages.note(err, "reading NFLOG group " + group.number + " in " + kernel.where() + " (Ctrl-C stops)");
            out = output.stream();
            DropLogReader reader = new DropLogReader(node, Clock.systemUTC());
            long printed = 0;
            long overLimit = overLimit(kernel);
            long lost = 0;
            Instant nextReport = Instant.now().plus(REPORT_INTERVAL);
            while (count == null || printed < count) {
                for (DropRecord r : reader.records(socket.receive(Duration.ofSeconds(1)), attribution)) {
                    out.println(json ? DropLogReader.json(r) : r.toText());
                    printed++;
                    if (count != null && printed >= count) {
                        break;
                    }
                }
                out.flush();
                if (Instant.now().isAfter(nextReport) || count != null && printed >= count) {
                    long now = overLimit(kernel);
                    Suppressed s = new Suppressed(Instant.now(), node, now - overLimit, socket.lost() - lost);
                    if (s.suppressed() > 0 || s.lost() > 0) {
                        out.println(json ? DropLogReader.json(s) : s.toText());
                        out.flush();
                    }
                    overLimit = now;
                    lost = socket.lost();
                    nextReport = Instant.now().plus(REPORT_INTERVAL);
                }
            }
            return ExitCodes.OK;
        } catch (IOException e) {
            throw new UserException(e.getMessage(), e);
        } finally {
            if (out != null) {
                output.close(out);
            }
        }
    }

    private DropAttribution attribution(PrintWriter err) throws UserException {
        if (input == null) {
            return DropAttribution.of(new Ruleset(Ruleset.FAMILY, Ruleset.TABLE, "", List.of(), List.of(), List.of()),
                    new ClusterSnapshot(List.of(), List.of(), List.of()));
        }
        ClusterSnapshot snapshot = SnapshotInput.load(input, context.stdin(), err).snapshot();
        NodeRuleset.warnIfNodeUnknown(snapshot, node, err);
        return DropAttribution.of(new PolicyCompiler().compile(snapshot, node).ruleset(), snapshot);
    }

    private NetnsThread thread() throws UserException {
        if (netns.name == null) {
            return NetnsThread.inCurrentNamespace("nflog-" + group.number);
        }
        try {
            return NetnsThread.enter(netns.name);
        } catch (NetnsException e) {
            throw new UserException("--netns: " + e.getMessage(), e);
        }
    }

    private NflogSocket open(NetnsThread thread, String where) throws UserException {
        try {
            return NflogSocket.open(thread, group.number, where);
        } catch (IOException e) {
            throw new UserException(e.getMessage(), e);
        }
    }

    /** The log chains' over-limit counters, summed; the table's log chains as they are now. */
    private static long overLimit(Kernel kernel) throws UserException {
        try {
            return DropLogReader.overLimit(kernel.nftables(), Ruleset.TABLE, DropLogReader.logChains(kernel.nftables(),
                    Ruleset.TABLE));
        } catch (NftablesException e) {
            throw new UserException("cannot read the drop log's counters: " + e.getMessage(), e);
        }
    }
}
