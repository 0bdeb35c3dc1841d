package io.nftpolicy.cli;

import io.nftpolicy.snapshot.SnapshotException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Turns every exception into one line on standard error and an exit code. Expected errors ({@link UserException},
 * {@link SnapshotException}) exit 2; anything else is a bug in nftpolicy and exits 3. With --debug the stack trace
 * is printed first.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine commandLine, ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        boolean debug = debugRequested(parseResult);
        if (debug) {
            ex.printStackTrace(err);
        }
        if (ex instanceof UserException user) {
            Messages.error(err, user.getMessage());
            return user.exitCode();
        }
        if (ex instanceof SnapshotException snapshot) {
            Messages.error(err, snapshot.getMessage());
            return ExitCodes.ERROR;
        }
        String message = ex.getClass().getSimpleName() + (ex.getMessage() == null ? "" : ": " + ex.getMessage());
        Messages.error(err, "internal error: " + Messages.oneLine(message)
                + (debug ? "" : " (run with --debug for details)"));
        return ExitCodes.INTERNAL;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine commandLine = ex.getCommandLine();
        PrintWriter err = commandLine.getErr();
        Messages.error(err, ex.getMessage());
        UnmatchedArgumentException.printSuggestions(ex, err);
        err.println("Run '" + commandLine.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return ExitCodes.ERROR;
    }

    /** --debug is inherited by every subcommand: look for it along the whole command chain. */
    static boolean debugRequested(ParseResult parseResult) {
        for (ParseResult p = parseResult; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }
}
