package io.nftpolicy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code --brief}: a command's answer without its details, in every format; a picocli mixin. What each command
 * leaves out is its own, and so is the help: under {@code <command>.brief} in OptionHelp.properties.
 */
@Command(resourceBundle = OptionHelp.BUNDLE)
final class BriefOption {
    @Option(names = "--brief", descriptionKey = "${COMMAND-NAME}.brief")
    boolean on;
}
