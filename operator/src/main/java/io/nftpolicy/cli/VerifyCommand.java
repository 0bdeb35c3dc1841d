package io.nftpolicy.cli;

import io.nftpolicy.backend.kernel.KernelTableFormatException;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.Drift;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.TableState;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintWriter;
import picocli.CommandLine.Command;

/**
 * {@code nftpolicy verify}: reads table {@code inet nftpolicy} back from the kernel and lists how it differs from
 * the snapshot's ruleset for the node ({@link Drift}). Changes nothing.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {"Read table inet nftpolicy back from the kernel of this network namespace (or of --netns) and "
                + "compare it with the snapshot's ruleset for one node. Prints each difference on a line and exits "
                + "1 when there is any; prints 'in sync: N sets, N chains, N elements' (verdict maps counted as "
                + "sets) and exits 0 when they agree. Changes nothing: 'nftpolicy apply' repairs the differences.",
                "Sets, maps and their elements (with comments) are compared exactly, rules by their digest (see "
                        + "docs/backend.md). Needs root and libnftables (Debian package libnftables1)."},
        footer = {"", "Exit status: 0 in sync, 1 the kernel differs, 2 unusable input or host."})
final class VerifyCommand extends NodeTableCommand {
    VerifyCommand(Main.Context context) {
        super(context);
    }

    @Override
    int run(Kernel kernel, Ruleset ruleset, PrintWriter out, PrintWriter err) throws UserException {
        Drift drift;
        try {
            // The applier's verify: rules compared whole, at the kernel's generation, under the table's lock.
            drift = new RulesetApplier(kernel).verify(ruleset);
        } catch (ApplyException e) {
            if (e.getCause() instanceof KernelTableFormatException format) {
                // Something nftpolicy never writes is in its table: that is a difference too.
                out.println("table inet nftpolicy: " + format.getMessage());
                out.flush();
                Messages.note(err, "the table differs from node " + target.node + "'s ruleset in " + kernel.where()
                        + " in a way 'nftpolicy apply' cannot repair (it cannot read the table)");
                return ExitCodes.DIFFERENT;
            }
            throw readBackFailed(kernel, e);
        }
        if (drift.isEmpty()) {
            TableState want = TableState.committed(ruleset);
            out.println("in sync: " + want.setCount() + " sets, " + want.chainCount() + " chains, "
                    + want.elementCount() + " elements");
            out.flush();
            return ExitCodes.OK;
        }
        drift.differences().forEach(out::println);
        out.flush();
        int n = drift.differences().size();
        Messages.note(err, "table inet nftpolicy in " + kernel.where() + " differs from node " + target.node
                + "'s ruleset (" + n + (n == 1 ? " difference" : " differences")
                + "); 'nftpolicy apply' repairs it");
        return ExitCodes.DIFFERENT;
    }
}
