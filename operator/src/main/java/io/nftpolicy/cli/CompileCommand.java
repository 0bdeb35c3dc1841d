package io.nftpolicy.cli;

import io.nftpolicy.compile.Compilation;
import io.nftpolicy.ruleset.NftRenderer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code nftpolicy compile}: a snapshot and a node name in, the node's nft script out. */
@Command(
        name = "compile",
        mixinStandardHelpOptions = true,
        description = {"Compile a cluster snapshot into the nftables ruleset one node enforces.",
                "The script is written for 'nft -f'; --output-file FILE (or a redirect) saves it. Problems with "
                        + "objects of the snapshot are warnings: the object is skipped (a broken policy still isolates its pods) and the exit status stays 0."})
final class CompileCommand extends NodeRulesetCommand {
    @Mixin
    PodCidrOption podCidrs;

    CompileCommand(Main.Context context) {
        super(context);
    }

    @Override
    public Integer call() throws UserException {
        output.format(" (the script is nft's own language; nft's JSON of the same table is 'nft -j list table "
                + "inet nftpolicy' after 'nftpolicy apply', and 'nftpolicy explain -o json' gives the rules' decisions)",
                OutputFormat.TEXT);
        Compilation compilation = compile(podCidrs.ranges(spec));
        String script = NftRenderer.render(compilation.ruleset());
        Timing.phase("render");
        output.print(script);
        Timing.phase("write");
        return ExitCodes.OK;
    }
}
