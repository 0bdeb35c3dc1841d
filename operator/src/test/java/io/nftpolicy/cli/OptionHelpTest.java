package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The help of options declared once and described per command (OptionHelp.properties). */
class OptionHelpTest {
    private final Map<String, CommandLine> commands = Main.commandLine(Main.Context.system()).getSubcommands();

    @Test
    void everyOptionOfEveryCommandHasHelp() {
        List<String> without = new ArrayList<>();
        commands.forEach((name, command) -> {
            for (OptionSpec option : command.getCommandSpec().options()) {
                if (String.join("", option.description()).isBlank()) {
                    without.add(name + " " + option.longestName());
                }
            }
        });

        assertThat(without).isEmpty();
    }

    @Test
    void aSharedOptionSaysWhatItDoesInEachCommand() {
        assertThat(help("run", "--netns")).startsWith("Program the nftables of this network namespace");
        assertThat(help("drops", "--netns")).startsWith("Read the drops of this network namespace");
        assertThat(help("apply", "--netns")).isEqualTo(help("verify", "--netns"))
                .startsWith("Work on the table of this network namespace");
        assertThat(help("apply", "--brief")).startsWith("Only the kind of transaction");
        assertThat(help("verify", "--brief")).startsWith("Only whether the table is in sync");
        assertThat(help("compile", "--pod-cidr")).startsWith("Fail-closed mode: the node's pod CIDR");
        assertThat(help("run", "--pod-cidr")).startsWith("With --fail-closed: this node's pod CIDR");
    }

    @Test
    void theDropLogGroupSaysItsDefaultOnBothSides() {
        assertThat(help("compile", "--drop-log-group")).isEqualTo("The NFLOG group the drops go to (default: 100).");
        assertThat(help("drops", "--drop-log-group")).isEqualTo("The NFLOG group the table logs to (default: 100).");
    }

    private String help(String command, String option) {
        OptionSpec spec = commands.get(command).getCommandSpec().findOption(option);
        return String.join(" ", spec.description()).replace("${DEFAULT-VALUE}", String.valueOf(spec.defaultValue()));
    }
}
