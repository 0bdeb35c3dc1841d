package io.nftpolicy.cli;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.snapshot.SnapshotWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
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
                "-o yaml (the default, also 'text') or -o json; --output-file FILE writes it to a file.",
                "The same sizes and seed always give the same file. Pods are spread over nodes node-0, node-1, ..."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ClusterSizeOptions sizes;

    @Mixin
    OutputOptions output;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws UserException {
        // text is the snapshot's usual form, YAML; JSON reads faster (docs/benchmarks.md, "Command-line start-up").
        OutputFormat format = output.format(OutputFormat.TEXT, OutputFormat.YAML, OutputFormat.JSON);
        ClusterGenerator.Size size = sizes.size();
        ClusterSnapshot snapshot;
        try {
            snapshot = ClusterGenerator.generate(size);
        } catch (IllegalArgumentException e) { // too many pods for the nodes' address ranges
            throw new UserException(e.getMessage(), e);
        }
        output.print(format == OutputFormat.JSON ? SnapshotWriter.toJson(snapshot) : SnapshotWriter.toYaml(snapshot));
        if (output.file != null) {
            spec.commandLine().getOut().printf("%s: %d namespaces, %d pods on %d nodes, %d policies (seed %d)%n",
                    output.file, size.namespaces(), size.pods(), size.nodes(), size.policies(), size.seed());
        }
        return ExitCodes.OK;
    }
}
