package io.nftpolicy.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/** The {@code nftpolicy} command line. */
@Command(
        name = "nftpolicy",
        mixinStandardHelpOptions = true,
        versionProvider = VersionCommand.Provider.class,
        description = "Compiles Kubernetes NetworkPolicies into nftables rulesets, applies them to the kernel, and "
                + "tries them out.",
        subcommands = {CompileCommand.class, ApplyCommand.class, VerifyCommand.class, StatsCommand.class, ExplainCommand.class,
                GenerateCommand.class, RunCommand.class, VersionCommand.class, HelpCommand.class},
        footer = {"", "Exit status:",
                "  0  done (warnings do not change it)",
                "  1  sandbox: the reachability differs from --expect; verify: the kernel's table differs;",
                "     explain: a connection asked about is denied",
                "  2  usage error, unusable input, or a host that cannot run the command (not root,",
                "     libnftables missing)",
                "  3  internal error (a bug: --debug shows where)",
                "  4  apply: the kernel refused the transaction; nothing of it was applied (libnftables'",
                "     error and the failing command are on standard error)"})
public final class Main implements Runnable {
    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print the stack trace of errors.")
    boolean debug;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (compile, apply, verify, explain, sandbox, generate, run, version)");
    }

    public static void main(String[] args) {
        int code;
        try {
            code = commandLine(Context.system()).execute(args);
        } catch (Throwable t) { // last resort: errors raised outside command execution
            System.err.println(Messages.PREFIX + "error: internal error: " + t
                    + " (run with --debug for details)");
            code = ExitCodes.INTERNAL;
        }
        System.exit(code);
    }

    /** The command line with the system's streams and host. */
    public static CommandLine commandLine() {
        return commandLine(Context.system());
    }

    /** A command line whose standard input and host checks come from {@code context}; set out/err on it to capture. */
    public static CommandLine commandLine(Context context) {
        ErrorHandler errors = new ErrorHandler();
        CommandLine commandLine = new CommandLine(new Main(), new Factory(context));
        if (labPresent()) {
            commandLine.addSubcommand("sandbox", new SandboxCommand(context));
        }
        commandLine.setExecutionExceptionHandler(errors);
        commandLine.setParameterExceptionHandler(errors);
        commandLine.setOut(new PrintWriter(System.out, true));
        commandLine.setErr(new PrintWriter(System.err, true));
        return commandLine;
    }

    /**
     * Whether the network-namespace lab is on the class path: it is in bin/nftpolicy's jar, not in the image's
     * (nftpolicy-agent.jar, see operator/pom.xml), which has no sandbox command.
     */
    private static boolean labPresent() {
        try {
            Class.forName("io.nftpolicy.lab.Lab", false, Main.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** What commands need from the outside world, replaceable in tests. */
    public record Context(InputStream stdin, Host host) {
        public static Context system() {
            return new Context(System.in, Host.system());
        }
    }

    /** Builds commands with the context they need. */
    private record Factory(Context context) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            if (type == CompileCommand.class) {
                return type.cast(new CompileCommand(context));
            }
            if (type == ApplyCommand.class) {
                return type.cast(new ApplyCommand(context));
            }
            if (type == VerifyCommand.class) {
                return type.cast(new VerifyCommand(context));
            }
            if (type == StatsCommand.class) {
                return type.cast(new StatsCommand(context));
            }
            return CommandLine.defaultFactory().create(type);
        }
    }
}
