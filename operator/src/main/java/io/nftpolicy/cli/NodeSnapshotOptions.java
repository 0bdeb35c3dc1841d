package io.nftpolicy.cli;

import io.nftpolicy.compile.Compilation;
import io.nftpolicy.net.IpRange;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What compile, apply and verify build a node's ruleset from: a snapshot, the node, and whether established flows
 * are kept and drops logged (a picocli mixin, so that the three take the same options and compile the same way).
 */
final class NodeSnapshotOptions {
    @Mixin
    InputOption input;

    @Mixin
    EstablishedOption established;

    @Mixin
    DropLogOption dropLogs;

    @Option(names = {"-n", "--node"}, required = true, paramLabel = "NODE", description = "The node to compile for.")
    String node;

    Compilation compile(List<IpRange> podCidrs, Main.Context context, PrintWriter err) throws UserException {
        return NodeRuleset.compile(input.file, node, podCidrs, established, dropLogs.options(), context, err);
    }
}
