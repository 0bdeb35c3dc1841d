package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

class MainTest {
    private final Cli cli = Cli.system();

    @Test
    void versionPrintsTheProjectVersion() {
        Result result = cli.run("version");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).matches("nftpolicy \\d+\\.\\d+\\.\\d+\\S*\n");
    }

    @Test
    void noCommandIsAUsageError() {
        Result result = cli.run();

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: missing command");
    }

    @Test
    void helpListsTheCommands() {
        Result result = cli.run("--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("compile", "sandbox", "version");
    }

    @Test
    void aRunThatNamesItsCommandBuildsThatCommandAlone() {
        Main.Context context = Main.Context.system();

        assertThat(Main.commandLine(context, "compile").getSubcommands()).containsOnlyKeys("compile");
        assertThat(Main.commandLine(context, "help").getSubcommands()).containsKeys("compile", "sandbox", "version");
        assertThat(Main.commandLine(context, "--debug").getSubcommands()).containsKeys("compile", "sandbox", "version");
        assertThat(Main.commandLine(context, "compil").getSubcommands()).containsKeys("compile", "sandbox", "version");
    }

    /** A stand-in for a command with a bug. */
    @Command(name = "broken")
    static final class Broken implements Runnable {
        @Option(names = "--debug", scope = ScopeType.INHERIT)
        boolean debug;

        @Override
        public void run() {
            throw new IllegalStateException("inconsistent state");
        }
    }

    private static Result runBroken(String... args) {
        ErrorHandler handler = new ErrorHandler();
        CommandLine commandLine = new CommandLine(new Broken()).setExecutionExceptionHandler(handler);
        StringWriter err = new StringWriter();
        commandLine.setErr(new PrintWriter(err, true));
        return new Result(commandLine.execute(args), "", err.toString());
    }

    @Test
    void anUnexpectedExceptionIsOneLinePointingToDebugAndExitsThree() {
        Result result = runBroken();

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.err()).isEqualTo("nftpolicy: error: internal error: IllegalStateException: "
                + "inconsistent state (run with --debug for details)\n");
    }

    @Test
    void debugPrintsTheStackTraceOfAnUnexpectedException() {
        Result result = runBroken("--debug");

        assertThat(result.exitCode()).isEqualTo(3);
        assertThat(result.err()).contains("at io.nftpolicy.cli.MainTest$Broken.run")
                .endsWith("nftpolicy: error: internal error: IllegalStateException: inconsistent state\n");
    }

    @Test
    void debugAfterTheSubcommandPrintsTheStackTraceOfAnExpectedError() {
        Result result = cli.run("compile", "--input", "/nonexistent/x.yaml", "--node", "n", "--debug");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("NoSuchFileException").endsWith("nftpolicy: error: /nonexistent/x.yaml: no such file\n");
    }
}
