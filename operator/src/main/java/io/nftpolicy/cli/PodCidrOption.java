package io.nftpolicy.cli;

import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpRange;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code --pod-cidr CIDR} (repeatable): the node's pod CIDRs of fail-closed mode, for compile and run; a picocli
 * mixin, with each command's help under {@code <command>.pod-cidr} in OptionHelp.properties.
 */
@Command(resourceBundle = OptionHelp.BUNDLE)
final class PodCidrOption {
    @Option(names = "--pod-cidr", paramLabel = "CIDR", descriptionKey = "${COMMAND-NAME}.pod-cidr")
    List<String> values = List.of();

    /** Every value parsed; a bad one is a usage error naming the option and the reason. */
    List<IpRange> ranges(CommandSpec spec) {
        List<IpRange> out = new ArrayList<>();
        for (String value : values == null ? List.<String>of() : values) {
            try {
                out.add(Cidr.parse(value.strip()));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "--pod-cidr: " + e.getMessage());
            }
        }
        return out;
    }
}
