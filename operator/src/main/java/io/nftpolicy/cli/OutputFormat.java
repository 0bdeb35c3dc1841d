package io.nftpolicy.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What {@code -o/--output} names, as kubectl's {@code -o} does: the format of what a command prints. */
enum OutputFormat {
    TEXT, JSON, YAML, HTML;

    String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    static String labels(OutputFormat... formats) {
        return Arrays.stream(formats).map(OutputFormat::label).collect(Collectors.joining(", "));
    }
}
