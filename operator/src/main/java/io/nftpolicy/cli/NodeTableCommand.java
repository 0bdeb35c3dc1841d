package io.nftpolicy.cli;

import io.nftpolicy.backend.kernel.KernelTableFormatException;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.ruleset.Ruleset;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Mixin;

/**
 * A command that compiles a snapshot's ruleset for one node and then works on table {@code inet nftpolicy} of this
 * network namespace, or of {@code --netns}, through libnftables: apply and verify. Both check root and libnftables
 * before reading the snapshot, so that a command that cannot run says so first; an -o format they do not have is
 * refused before either.
 */
abstract class NodeTableCommand extends NodeRulesetCommand {
    @Mixin
    NetnsOption netns;

    NodeTableCommand(Main.Context context) {
        super(context);
    }

    @Override
    public final Integer call() throws UserException {
        OutputFormat format = output.format(OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.YAML);
        PrintWriter err = spec.commandLine().getErr();
        try (Kernel kernel = Kernel.open(context.host(), spec.name(), netns.name, dryRun())) {
            return run(kernel, compile(List.of()).ruleset(), format, err);
        }
    }

    /** Whether the kernel is to check transactions and abort them instead of committing. */
    boolean dryRun() {
        return false;
    }

    /** The command's work on the opened table, printed through {@link #output} as {@code format}; the exit status. */
    abstract int run(Kernel kernel, Ruleset ruleset, OutputFormat format, PrintWriter err) throws UserException;

    /** The table could not be read back: nothing was sent. */
    static UserException readBackFailed(Kernel kernel, ApplyException e) {
        String hint = e.getCause() instanceof KernelTableFormatException
                ? " (the table holds something nftpolicy never writes; 'nftpolicy verify' shows it)" : "";
        return new UserException("in " + kernel.where() + ": " + e.getMessage() + hint + "; nothing was changed", e);
    }
}
