package io.nftpolicy.cli;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.snapshot.SnapshotWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code nftpolicy generate}: a generated cluster ({@link ClusterGenerator}) written as the snapshot file that the
 * other commands read, so that benchmarks and bug reports can name a cluster by its sizes and seed.
 */
@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {"Write a generated cluster as a snapshot: a 'kind: List' of Namespaces, Pods and NetworkPolicies "
                + "that 'compile --input' and the other commands read.",
                "The same sizes and seed always give the same file. Pods are spread over nodes node-0, node-1, ..."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ClusterSizeOptions sizes;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write the snapshot here, not to standard output.")
    Path output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws UserException {
        ClusterGenerator.Size size = sizes.size();
        ClusterSnapshot snapshot;
        try {
            snapshot = ClusterGenerator.generate(size);
        } catch (IllegalArgumentException e) { // too many pods for the nodes' address ranges
            throw new UserException(e.getMessage(), e);
        }
        String yaml = SnapshotWriter.toYaml(snapshot);
        PrintWriter out = spec.commandLine().getOut();
        if (output == null) {
            out.print(yaml);
            out.flush();
            return ExitCodes.OK;
        }
        try {
            Files.writeString(output, yaml, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserException("cannot write " + output + ": " + CompileCommand.describe(e), e);
        }
        out.printf("%s: %d namespaces, %d pods on %d nodes, %d policies (seed %d)%n", output, size.namespaces(),
                size.pods(), size.nodes(), size.policies(), size.seed());
        return ExitCodes.OK;
    }
}
