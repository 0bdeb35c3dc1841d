package io.nftpolicy.cli;

import io.nftpolicy.compile.DropLogs;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Which drops the table logs (a picocli mixin of the commands that build a ruleset): those of the namespaces
 * annotated {@code nftpolicy.io/log-drops: "true"} always, those of every namespace with {@code --log-drops}.
 */
final class DropLogOption {
    @Option(names = "--log-drops",
            description = "Log the connection attempts that policy drops for the pods of every namespace, not only "
                    + "of those annotated nftpolicy.io/log-drops=\"true\" (docs/audit.md, \"Drop logs\"); "
                    + "'nftpolicy drops' prints them.")
    boolean everywhere;

    @Option(names = "--log-accepts",
            description = "Also log the first packet of each connection an allow rule accepts, with the rule, for the "
                    + "pods of every namespace, not only of those annotated nftpolicy.io/log-accepts=\"true\" (an "
                    + "audit of what policy allows; it costs allowed connections a rule).")
    boolean acceptsEverywhere;

    @Mixin
    DropLogGroupOption group;

    @Option(names = "--drop-log-rate", paramLabel = "N", defaultValue = "10",
            description = "Drops logged per second and group chain at most, in the kernel (default: ${DEFAULT-VALUE}); "
                    + "the others are counted.")
    int rate;

    DropLogs.Options options() throws UserException {
        try {
            return new DropLogs.Options(everywhere, group.number, rate, Math.max(rate / 2, 5), acceptsEverywhere);
        } catch (IllegalArgumentException e) {
            throw new UserException("--drop-log-group/--drop-log-rate: " + e.getMessage(), e);
        }
    }
}
