package io.nftpolicy.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The usage errors of numeric options, worded alike in every command ({@code --timeout-ms must be positive, got 0}):
 * picocli converts the number, and has no bounds of its own to check.
 */
final class NumberOptions {
    private NumberOptions() {
    }

    /** A usage error naming {@code option} when {@code value} is 0 or less. */
    static void positive(CommandSpec spec, String option, long value) {
        if (value <= 0) {
            throw new ParameterException(spec.commandLine(), option + " must be positive, got " + value);
        }
    }

    /** A usage error naming {@code option} when {@code value} is below 0. */
    static void notNegative(CommandSpec spec, String option, long value) {
        if (value < 0) {
            throw new ParameterException(spec.commandLine(), option + " must not be negative, got " + value);
        }
    }
}
