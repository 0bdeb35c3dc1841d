package io.nftpolicy.cli;

import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpRange;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** The {@code --pod-cidr} option of compile and run (fail-closed mode). */
final class PodCidrs {
    private PodCidrs() {}

    /** Parses every value; a bad one is a usage error naming the option and the reason. */
    static List<IpRange> parse(CommandSpec spec, List<String> values) {
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
