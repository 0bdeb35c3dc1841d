package io.nftpolicy.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.Transaction;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nftpolicy apply}: compiles a snapshot for one node and brings table {@code inet nftpolicy} of this network
 * namespace to it through libnftables, sending only the difference.
 *
 * <p>Each run is a new process with no memory of the last one, so the applier reads the table back first and diffs
 * against what the kernel really holds ({@link RulesetApplier}): a repeated apply sends nothing, a changed snapshot
 * sends its difference, and drift is repaired. The table is created (in full) only when it is absent.
 */
@Command(
        name = "apply",
        mixinStandardHelpOptions = true,
        description = {"Apply a snapshot's ruleset for one node to the kernel of this network namespace (or of "
                + "--netns), through libnftables, as one nftables transaction that holds only the difference "
                + "from what the kernel holds: the table is read back first, and created only when absent.",
                "Prints what changed; -o json or yaml print it as one object {node, table, where, dryRun, kind, "
                        + "operations, generation, transactions, bytes, elements, sets, chains, rulesWritten, "
                        + "durationMs, scripts (dry run)}, and --brief keeps the first seven. Needs root and libnftables (Debian package libnftables1)."},
        footer = {"", "Exit status: 0 applied (or nothing to do), 2 unusable input or host, 4 the kernel refused "
                + "the transaction (nothing of it was applied; libnftables' error and the failing command are on "
                + "standard error)."})
final class ApplyCommand extends NodeTableCommand {
    @Option(names = "--dry-run",
            description = "Print the transaction script instead of committing it; the kernel still checks it "
                    + "(then it is aborted), so a script it would refuse exits 4.")
    boolean dryRun;

    @Mixin
    BriefOption brief;

    ApplyCommand(Main.Context context) {
        super(context);
    }

    @Override
    boolean dryRun() {
        return dryRun;
    }

    @Override
    int run(Kernel kernel, Ruleset ruleset, OutputFormat format, PrintWriter err) throws UserException {
        // A dry run checks one transaction: the parts of a split cold start build on each other.
        RulesetApplier.Options options = dryRun
                ? RulesetApplier.Options.defaults().withColdStartMaxOperations(Integer.MAX_VALUE)
                : RulesetApplier.Options.defaults();
        ApplyResult result;
        try {
            result = new RulesetApplier(kernel, options).apply(ruleset);
        } catch (ApplyException e) {
            if (!kernel.refused()) {
                throw readBackFailed(kernel, e);
            }
            reportRefusal(err, kernel, e);
            return ExitCodes.REFUSED;
        }
        if (format != OutputFormat.TEXT) {
            output.print(document(result, kernel), format);
        } else if (brief.on) {
            output.print(brief(result) + "\n");
        } else if (dryRun) {
            output.print(String.join("", kernel.scripts()));
        } else {
            output.print(text(result, kernel.where()));
        }
        if (dryRun) {
            Messages.note(err, "dry run, nothing committed in " + kernel.where() + ": "
                    + (result.kind() == ApplyResult.Kind.NO_OP ? "the table equals node " + target.node
                    + "'s ruleset, nothing to send" : "the kernel accepts this " + kind(result)
                    + " transaction of " + result.operations() + " operations (" + counts(result.counts()) + ")"));
        }
        return ExitCodes.OK;
    }

    /** libnftables' own error text, verbatim (it points at the command), then the failing command alone. */
    private void reportRefusal(PrintWriter err, Kernel kernel, ApplyException e) {
        List<String> scripts = kernel.scripts();
        String which = scripts.size() > 1 ? "transaction " + scripts.size() + " of the cold start (the earlier "
                + (scripts.size() - 1) + " stay committed; the next apply completes the table)" : "the transaction";
        Messages.error(err, "the kernel refused " + which + " in " + kernel.where() + "; nothing of it was applied. "
                + "libnftables says:");
        err.println(e.nftError().strip());
        Messages.line(err, "failing command: ", e.failingCommand().orElse("(libnftables names none)"));
        err.flush();
    }

    private static String text(ApplyResult result, String where) {
        Transaction.Counts c = result.counts();
        StringBuilder out = new StringBuilder();
        out.append("table:         inet nftpolicy in ").append(where).append('\n');
        out.append("kind:          ").append(kind(result)).append('\n');
        out.append("elements:      +").append(c.elementsAdded()).append(" -").append(c.elementsRemoved()).append('\n');
        out.append("sets:          +").append(c.setsAdded()).append(" -").append(c.setsRemoved()).append('\n');
        out.append("chains:        +").append(c.chainsAdded()).append(" -").append(c.chainsRemoved()).append(" (")
                .append(c.chainsChanged()).append(" flushed and refilled)\n");
        out.append("rules written: ").append(c.rulesWritten()).append('\n');
        out.append("operations:    ").append(result.operations()).append('\n');
        out.append("transactions:  ").append(result.transactions()).append('\n');
        out.append("bytes:         ").append(result.bytes()).append('\n');
        if (result.generation().isEmpty()) {
            out.append("generation:    none (--keep-established: established flows are kept)\n");
        } else if (result.kind() == ApplyResult.Kind.NO_OP) {
            out.append("generation:    ").append(result.generation().getAsInt()).append('\n');
        } else {
            out.append("generation:    ").append(result.generation().getAsInt())
                    .append(" (established flows are judged again by their next packet)\n");
        }
        out.append(String.format(Locale.ROOT, "duration:      %.1f ms (reading the table back included)%n",
                result.durationNanos() / 1e6));
        return out.toString();
    }

    /** e.g. {@code incremental: 1 operation in 1 transaction, generation 7}. */
    private static String brief(ApplyResult result) {
        return kind(result) + ": " + result.operations() + (result.operations() == 1 ? " operation" : " operations")
                + " in " + result.transactions() + (result.transactions() == 1 ? " transaction" : " transactions")
                + ", generation " + (result.generation().isEmpty() ? "none" : result.generation().getAsInt());
    }

    private ObjectNode document(ApplyResult result, Kernel kernel) {
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        document.put("node", target.node);
        document.put("table", "inet nftpolicy");
        document.put("where", kernel.where());
        document.put("dryRun", dryRun);
        document.put("kind", kind(result));
        document.put("operations", result.operations());
        if (result.generation().isPresent()) {
            document.put("generation", result.generation().getAsInt());
        } else {
            document.putNull("generation");
        }
        if (brief.on) {
            return document;
        }
        Transaction.Counts c = result.counts();
        document.put("transactions", result.transactions());
        document.put("bytes", result.bytes());
        document.putObject("elements").put("added", c.elementsAdded()).put("removed", c.elementsRemoved());
        document.putObject("sets").put("added", c.setsAdded()).put("removed", c.setsRemoved());
        document.putObject("chains").put("added", c.chainsAdded()).put("removed", c.chainsRemoved())
                .put("changed", c.chainsChanged());
        document.put("rulesWritten", c.rulesWritten());
        document.put("durationMs", Math.round(result.durationNanos() / 1e5) / 10.0);
        if (dryRun) {
            kernel.scripts().forEach(document.putArray("scripts")::add);
        }
        return document;
    }

    static String kind(ApplyResult result) {
        return result.kind().name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static String counts(Transaction.Counts c) {
        return "elements +" + c.elementsAdded() + " -" + c.elementsRemoved() + ", sets +" + c.setsAdded() + " -"
                + c.setsRemoved() + ", chains +" + c.chainsAdded() + " -" + c.chainsRemoved() + " ~"
                + c.chainsChanged() + ", rules written " + c.rulesWritten();
    }
}
