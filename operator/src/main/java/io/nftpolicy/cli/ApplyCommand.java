package io.nftpolicy.cli;

import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.Transaction;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
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
                "Prints what changed. Needs root and libnftables (Debian package libnftables1)."},
        footer = {"", "Exit status: 0 applied (or nothing to do), 2 unusable input or host, 4 the kernel refused "
                + "the transaction (nothing of it was applied; libnftables' error and the failing command are on "
                + "standard error)."})
final class ApplyCommand extends NodeTableCommand {
    @Option(names = "--dry-run",
            description = "Print the transaction script instead of committing it; the kernel still checks it "
                    + "(then it is aborted), so a script it would refuse exits 4.")
    boolean dryRun;

    ApplyCommand(Main.Context context) {
        super(context);
    }

    @Override
    boolean dryRun() {
        return dryRun;
    }

    @Override
    int run(Kernel kernel, Ruleset ruleset, PrintWriter out, PrintWriter err) throws UserException {
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
        if (dryRun) {
            kernel.scripts().forEach(out::print);
            out.flush();
            Messages.note(err, "dry run, nothing committed in " + kernel.where() + ": "
                    + (result.kind() == ApplyResult.Kind.NO_OP ? "the table equals node " + target.node
                    + "'s ruleset, nothing to send" : "the kernel accepts this " + kind(result)
                    + " transaction of " + result.operations() + " operations (" + counts(result.counts()) + ")"));
            return ExitCodes.OK;
        }
        print(out, result, kernel.where());
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

    private static void print(PrintWriter out, ApplyResult result, String where) {
        Transaction.Counts c = result.counts();
        out.println("table:         inet nftpolicy in " + where);
        out.println("kind:          " + kind(result));
        out.println("elements:      +" + c.elementsAdded() + " -" + c.elementsRemoved());
        out.println("sets:          +" + c.setsAdded() + " -" + c.setsRemoved());
        out.println("chains:        +" + c.chainsAdded() + " -" + c.chainsRemoved() + " (" + c.chainsChanged()
                + " flushed and refilled)");
        out.println("rules written: " + c.rulesWritten());
        out.println("operations:    " + result.operations());
        out.println("transactions:  " + result.transactions());
        out.println("bytes:         " + result.bytes());
        if (result.generation().isEmpty()) {
            out.println("generation:    none (--keep-established: established flows are kept)");
        } else if (result.kind() == ApplyResult.Kind.NO_OP) {
            out.println("generation:    " + result.generation().getAsInt());
        } else {
            out.println("generation:    " + result.generation().getAsInt()
                    + " (established flows are judged again by their next packet)");
        }
        out.println(String.format(Locale.ROOT, "duration:      %.1f ms (reading the table back included)",
                result.durationNanos() / 1e6));
        out.flush();
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
