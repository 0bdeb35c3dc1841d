package io.nftpolicy.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nftpolicy.backend.kernel.KernelTableFormatException;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.RulesetApplier;
import io.nftpolicy.backend.sync.TableState;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code nftpolicy verify}: reads table {@code inet nftpolicy} back from the kernel and lists how it differs from
 * the snapshot's ruleset for the node ({@link io.nftpolicy.backend.sync.Drift}). Changes nothing.
 */
@Command(
        name = "verify",
        mixinStandardHelpOptions = true,
        description = {"Read table inet nftpolicy back from the kernel of this network namespace (or of --netns) and "
                + "compare it with the snapshot's ruleset for one node. Prints each difference on a line and exits "
                + "1 when there is any; prints 'in sync: N sets, N chains, N elements' (verdict maps counted as "
                + "sets) and exits 0 when they agree. Changes nothing: 'nftpolicy apply' repairs the differences.",
                "-o text (default), json or yaml: {node, table, where, inSync, sets, chains, elements, "
                        + "differenceCount, differences}; --brief leaves the differences out.",
                "Sets, maps and their elements (with comments) are compared exactly, rules by their digest (see "
                        + "docs/backend.md). Needs root and libnftables (Debian package libnftables1)."},
        footer = {"", "Exit status: 0 in sync, 1 the kernel differs, 2 unusable input or host."})
final class VerifyCommand extends NodeTableCommand {
    @Mixin
    BriefOption brief;

    VerifyCommand(Main.Context context) {
        super(context);
    }

    @Override
    int run(Kernel kernel, Ruleset ruleset, OutputFormat format, PrintWriter err) throws UserException {
        TableState want = TableState.committed(ruleset);
        List<String> differences;
        try {
            // The applier's verify: rules compared whole, at the kernel's generation, under the table's lock.
            differences = new RulesetApplier(kernel).verify(ruleset).differences();
        } catch (ApplyException e) {
            if (!(e.getCause() instanceof KernelTableFormatException unreadable)) {
                throw readBackFailed(kernel, e);
            }
            // Something nftpolicy never writes is in its table: that is a difference too.
            print(format, kernel, want, List.of("table inet nftpolicy: " + unreadable.getMessage()));
            Messages.note(err, "the table differs from node " + target.node + "'s ruleset in " + kernel.where()
                    + " in a way 'nftpolicy apply' cannot repair (it cannot read the table)");
            return ExitCodes.DIFFERENT;
        }
        print(format, kernel, want, differences);
        if (differences.isEmpty()) {
            return ExitCodes.OK;
        }
        int n = differences.size();
        Messages.note(err, "table inet nftpolicy in " + kernel.where() + " differs from node " + target.node
                + "'s ruleset (" + n + (n == 1 ? " difference" : " differences") + "); 'nftpolicy apply' repairs it");
        return ExitCodes.DIFFERENT;
    }

    private void print(OutputFormat format, Kernel kernel, TableState want, List<String> differences)
            throws UserException {
        int n = differences.size();
        if (format == OutputFormat.TEXT) {
            if (n == 0) {
                output.print("in sync: " + want.setCount() + " sets, " + want.chainCount() + " chains, "
                        + want.elementCount() + " elements\n");
            } else if (brief.on) {
                output.print("differs: " + n + (n == 1 ? " difference" : " differences") + "\n");
            } else {
                output.print(String.join("\n", differences) + "\n");
            }
            return;
        }
        ObjectNode document = JsonNodeFactory.instance.objectNode();
        document.put("node", target.node);
        document.put("table", "inet nftpolicy");
        document.put("where", kernel.where());
        document.put("inSync", n == 0);
        document.put("sets", want.setCount());
        document.put("chains", want.chainCount());
        document.put("elements", want.elementCount());
        document.put("differenceCount", n);
        if (!brief.on) {
            differences.forEach(document.putArray("differences")::add);
        }
        output.print(document, format);
    }
}
