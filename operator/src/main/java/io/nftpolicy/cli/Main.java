package io.nftpolicy.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
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
    /**
     * The commands by name, in the order usage lists them. picocli reads a command's annotations by reflection when
     * it is added, which costs a short run more than the JVM's own start: a run that names its command gets only
     * that one ({@link #commandLine(Context, String)}).
     */
    private static final Map<String, Class<?>> COMMANDS = commands(CompileCommand.class, ApplyCommand.class,
            VerifyCommand.class, ExplainCommand.class, GenerateCommand.class, RunCommand.class, DropsCommand.class,
            StatsCommand.class, VersionCommand.class, HelpCommand.class);
    private static final String SANDBOX = "sandbox";

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print the stack trace of errors.")
    boolean debug;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (compile, apply, verify, explain, sandbox, generate, run, drops, stats, version)");
    }

    public static void main(String[] args) {
        Timing.start();
        int code;
        try {
            CommandLine commandLine = commandLine(Context.system(), args.length > 0 ? args[0] : null);
            Timing.phase("command line");
            code = commandLine.execute(args);
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
        return commandLine(context, null);
    }

    /**
     * The command line for arguments that start with {@code first}: when it names a command (other than help, which
     * looks the others up), with that command alone, since nothing else is run or listed; else with all of them.
     */
    static CommandLine commandLine(Context context, String first) {
        ErrorHandler errors = new ErrorHandler();
        CommandLine commandLine = new CommandLine(new Main(), new Factory(context));
        boolean one = first != null && !first.equals("help") && (COMMANDS.containsKey(first) || first.equals(SANDBOX));
        COMMANDS.forEach((name, type) -> {
            if (!one || name.equals(first)) {
                commandLine.addSubcommand(name, type);
            }
        });
        if ((!one || first.equals(SANDBOX)) && labPresent()) {
            commandLine.addSubcommand(SANDBOX, new SandboxCommand(context));
        }
        commandLine.setExecutionExceptionHandler(errors);
        commandLine.setParameterExceptionHandler(errors);
        commandLine.setOut(new PrintWriter(System.out, true));
        commandLine.setErr(new PrintWriter(System.err, true));
        return commandLine;
    }

    private static Map<String, Class<?>> commands(Class<?>... types) {
        Map<String, Class<?>> commands = new LinkedHashMap<>();
        for (Class<?> type : types) {
            commands.put(type.getAnnotation(Command.class).name(), type);
        }
        return commands;
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
            if (type == DropsCommand.class) {
                return type.cast(new DropsCommand(context));
            }
            if (type == StatsCommand.class) {
                return type.cast(new StatsCommand(context));
            }
            return CommandLine.defaultFactory().create(type);
        }
    }
}
