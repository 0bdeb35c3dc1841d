package io.nftpolicy.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code --netns NAME}: the network namespace (as {@code ip netns add} makes it) whose nftables a command works on
 * instead of the process's own; a picocli mixin. The commands do different things there, so each says so in its own
 * help: under {@code <command>.netns} in OptionHelp.properties, else the description written here.
 */
@Command(resourceBundle = OptionHelp.BUNDLE)
final class NetnsOption {
    @Option(names = "--netns", paramLabel = "NAME", descriptionKey = "${COMMAND-NAME}.netns",
            description = "Work on the table of this network namespace (/var/run/netns/NAME, as 'ip netns add' "
                    + "makes it) instead of the process's own.")
    String name;
}
