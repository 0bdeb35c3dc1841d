package io.nftpolicy.cli;

import io.nftpolicy.compile.DropLogs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code --drop-log-group N}: the NFLOG group of the drop log, written by the commands that build a ruleset
 * ({@link DropLogOption}) and read by drops; a picocli mixin, with the help of each side.
 */
@Command(resourceBundle = OptionHelp.BUNDLE)
final class DropLogGroupOption {
    @Option(names = "--drop-log-group", paramLabel = "N", defaultValue = "" + DropLogs.Options.DEFAULT_GROUP,
            descriptionKey = "${COMMAND-NAME}.drop-log-group",
            description = "The NFLOG group the drops go to (default: ${DEFAULT-VALUE}).")
    int number;
}
