package io.nftpolicy.cli;

import io.nftpolicy.compile.Compilation;
import io.nftpolicy.net.IpRange;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that compiles a snapshot's ruleset for one node, as the agent on that node would: compile, which prints
 * it, and the commands that then work on the node's table ({@link NodeTableCommand}). They take the same snapshot
 * options, compile the same way and print through the same output options.
 */
abstract class NodeRulesetCommand implements Callable<Integer> {
    final Main.Context context;

    @Spec
    CommandSpec spec;

    @Mixin
    NodeSnapshotOptions target;

    @Mixin
    OutputOptions output;

    NodeRulesetCommand(Main.Context context) {
        this.context = context;
    }

    /** The node's ruleset, fail-closed over {@code podCidrs} when there are any; warnings go to standard error. */
    Compilation compile(List<IpRange> podCidrs) throws UserException {
        return target.compile(podCidrs, context, spec.commandLine().getErr());
    }
}
