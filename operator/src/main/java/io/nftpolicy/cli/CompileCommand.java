package io.nftpolicy.cli;

import io.nftpolicy.compile.Compilation;
import io.nftpolicy.ruleset.NftRenderer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code nftpolicy compile}: a snapshot and a node name in, the node's nft script out. */
@Command(
        name = "compile",
        mixinStandardHelpOptions = true,
        description = {"Compile a cluster snapshot into the nftables ruleset one node enforces.",
                "The script is written for 'nft -f'. Problems with objects of the snapshot are warnings: the "
                        + "object is skipped (a broken policy still isolates its pods) and the exit status stays 0."})
final class CompileCommand implements Callable<Integer> {
    private final Main.Context context;

    @Spec
    CommandSpec spec;

    @Mixin
    NodeSnapshotOptions target;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write the script here, not to standard output.")
    Path output;

    @Option(names = "--pod-cidr", paramLabel = "CIDR",
            description = "Fail-closed mode: the node's pod CIDR (repeat for dual stack); its addresses that are not "
                    + "known pods of the node are isolated (the agent's run --fail-closed).")
    List<String> podCidrs = List.of();

    CompileCommand(Main.Context context) {
        this.context = context;
    }

    @Override
    public Integer call() throws UserException {
        PrintWriter err = spec.commandLine().getErr();
        Compilation compilation = target.compile(PodCidrs.parse(spec, podCidrs), context, err);
        String script = NftRenderer.render(compilation.ruleset());
        Timing.phase("render");
        if (output == null) {
            PrintWriter out = spec.commandLine().getOut();
            out.print(script);
            out.flush();
        } else {
            try {
                Files.writeString(output, script, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UserException("cannot write " + output + ": " + describe(e), e);
            }
        }
        Timing.phase("write");
        return ExitCodes.OK;
    }

    static String describe(IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.FileSystemException fs && fs.getReason() != null) {
            return fs.getReason();
        }
        return String.valueOf(e.getMessage());
    }
}
