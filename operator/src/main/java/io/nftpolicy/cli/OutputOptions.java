package io.nftpolicy.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * kubectl's habits, shared by every command that prints (a picocli mixin): {@code -o/--output} is the format, and a
 * file is written with {@code --output-file} (or a shell redirect), never with {@code -o}. Each command says which
 * formats it has; the others are refused by name before any work is done.
 */
final class OutputOptions {
    /**
     * The mappers that print documents, made on first use: an ObjectMapper's set-up (its date format builds a
     * Calendar, which looks up locale data) is start-up time lost for a command that prints text.
     */
    private static final class Mappers {
        static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        static final ObjectMapper YAML = new ObjectMapper(YAMLFactory.builder()
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
                .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .build());
    }

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "The format of what is printed: text (the default), or another this command has.")
    String format;

    @Option(names = "--output-file", paramLabel = "FILE",
            description = "Write what would be printed to this file instead of standard output.")
    Path file;

    /** The format asked for, when it is one of {@code allowed}; a usage error naming them otherwise. */
    OutputFormat format(OutputFormat... allowed) {
        return format("", allowed);
    }

    /** As {@link #format(OutputFormat...)}, with {@code why} the error says why the others are not there. */
    OutputFormat format(String why, OutputFormat... allowed) {
        String asked = format.strip().toLowerCase(Locale.ROOT);
        for (OutputFormat f : allowed) {
            if (f.label().equals(asked)) {
                return f;
            }
        }
        throw new ParameterException(spec.commandLine(), "--output is the format of what " + spec.name()
                + " prints: " + OutputFormat.labels(allowed) + ", got '" + format + "'" + why
                + (asked.contains("/") || asked.contains(".") ? " (to write a file, give --output-file "
                + format + " or redirect standard output)" : ""));
    }

    /** Prints {@code text} as it is, to standard output or to --output-file. */
    void print(String text) throws UserException {
        if (file == null) {
            PrintWriter out = spec.commandLine().getOut();
            out.print(text);
            out.flush();
            return;
        }
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserException("cannot write " + file + ": " + describe(e), e);
        }
    }

    /**
     * Where a command that prints as it goes (drops) writes its lines: standard output, or --output-file, created or
     * truncated; close it with {@link #close(PrintWriter)}.
     */
    PrintWriter stream() throws UserException {
        if (file == null) {
            return spec.commandLine().getOut();
        }
        try {
            return new PrintWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UserException("cannot write " + file + ": " + describe(e), e);
        }
    }

    /** Closes what {@link #stream()} opened, leaving standard output open. */
    void close(PrintWriter stream) {
        if (file == null) {
            stream.flush();
        } else {
            stream.close();
        }
    }

    /** Prints a document as JSON or YAML, with the fields in the order they were put. */
    void print(JsonNode document, OutputFormat as) throws UserException {
        print(write(document, as));
    }

    static String write(JsonNode document, OutputFormat as) {
        try {
            return switch (as) {
                case JSON -> Mappers.JSON.writeValueAsString(document) + "\n";
                case YAML -> Mappers.YAML.writeValueAsString(document);
                default -> throw new IllegalArgumentException("not a document format: " + as);
            };
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + as.label() + ": " + e.getMessage(), e);
        }
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
