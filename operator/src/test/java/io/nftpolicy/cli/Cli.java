package io.nftpolicy.cli;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Runs the command line in-process with captured output. */
final class Cli {
    record Result(int exitCode, String out, String err) {}

    private final Main.Context context;

    Cli(Main.Context context) {
        this.context = context;
    }

    static Cli withHost(Host host) {
        return new Cli(new Main.Context(InputStream.nullInputStream(), host));
    }

    static Cli system() {
        return withHost(Host.system());
    }

    static Cli withStdin(String stdin) {
        return new Cli(new Main.Context(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), Host.system()));
    }

    Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine commandLine = Main.commandLine(context);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int code = commandLine.execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
