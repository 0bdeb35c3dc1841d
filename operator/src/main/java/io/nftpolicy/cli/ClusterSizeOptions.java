package io.nftpolicy.cli;

import io.nftpolicy.generate.ClusterGenerator;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/** The sizes and seed of a generated cluster ({@link ClusterGenerator}), as options shared by the commands
 * using one, here and in benchmarks/. */
public final class ClusterSizeOptions {
    private static final Pattern FIELD = Pattern.compile("^(\\w+): ");

    @Option(names = "--namespaces", defaultValue = "200", description = "Namespaces (default ${DEFAULT-VALUE}).")
    int namespaces;

    @Option(names = "--pods-per-namespace", defaultValue = "50",
            description = "Pods per namespace (default ${DEFAULT-VALUE}).")
    int podsPerNamespace;

    @Option(names = "--nodes", defaultValue = "20", description = "Nodes, at most 16384 (default ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--policies-per-namespace", defaultValue = "10",
            description = "Policies per namespace, one of them a default deny (default ${DEFAULT-VALUE}).")
    int policiesPerNamespace;

    @Option(names = "--seed", defaultValue = "1", description = "Generator seed (default ${DEFAULT-VALUE}).")
    long seed;

    /** The sizes; unusable ones are a user error naming the option. */
    public ClusterGenerator.Size size() throws UserException {
        try {
            return new ClusterGenerator.Size(namespaces, podsPerNamespace, nodes, policiesPerNamespace, seed);
        } catch (IllegalArgumentException e) {
            throw new UserException(asOption(e.getMessage()), e);
        }
    }

    /** "podsPerNamespace: -1 is below 0" → "--pods-per-namespace: -1 is below 0". */
    private static String asOption(String message) {
        Matcher field = FIELD.matcher(message);
        if (!field.find()) {
            return message;
        }
        String option = field.group(1).replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
        return "--" + option + ": " + message.substring(field.end());
    }
}
