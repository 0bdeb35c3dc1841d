package io.nftpolicy.backend.libnftables;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * libnftables refused a transaction (nothing of it took effect), or could not be used at all.
 *
 * <p>{@link #errorText()} is libnftables' own error text: per error a line {@code Error: reason}, prefixed with
 * {@code commands:LINE:FIRST-LAST:} for commands of several lines, then the failing command and a line of
 * {@code ^^^} under the part it objects to. {@link #getMessage()} says the same in one paragraph, and
 * {@link #failingCommand()} and {@link #failingLine()} pick out the first failing command.
 */
public class NftablesException extends Exception {
    private static final long serialVersionUID = 1L;

    /** {@code [where:line:first-last: ][netlink: ]Error: message} */
    private static final Pattern HEADER = Pattern.compile(
            "^(?:(?<where>.+?):(?<line>\\d+):(?<first>\\d+)-(?<last>\\d+): )?(?:netlink: )?"
                    + "(?<level>Error|Warning): (?<message>.*)$");
    private static final Pattern MARKER = Pattern.compile("^[ \\t~]*\\^[ \\t~^]*$");
    private static final int ERRORS_IN_MESSAGE = 3;

    /** One error libnftables reported. */
    record Problem(int line, String message, String command, String marked) {}

    private final String errorText;
    private final transient List<Problem> problems;

    public NftablesException(String message) {
        this(message, null);
    }

    public NftablesException(String message, Throwable cause) {
        super(message, cause);
        this.errorText = "";
        this.problems = List.of();
    }

    private NftablesException(String message, String errorText, List<Problem> problems) {
        super(message);
        this.errorText = errorText;
        this.problems = List.copyOf(problems);
    }

    /**
     * From libnftables' error buffer after a command returned {@code returnCode} != 0.
     *
     * @param located whether the lines the text quotes are the failing ones; if not (commands of several lines
     *                given as a buffer to libnftables 1.0.6, which then quotes the first line), they are left out
     */
    static NftablesException fromErrorText(String errorText, int returnCode, boolean located) {
        List<Problem> problems = parse(errorText);
        if (!located) {
            problems = problems.stream().map(p -> new Problem(0, p.message(), "", "")).toList();
        }
        return new NftablesException(describe(errorText, returnCode, problems), errorText, problems);
    }

    /** Whether two error texts report the same errors, in the same order, wherever they locate them. */
    static boolean sameErrors(String a, String b) {
        List<String> first = parse(a).stream().map(Problem::message).toList();
        return !first.isEmpty() && first.equals(parse(b).stream().map(Problem::message).toList());
    }

    /**
     * libnftables' error text. For commands of several lines it is that of their dry-run replay from a file (see
     * {@link Nftables}), with the file called {@code commands}; empty when libnftables was not reached.
     */
    public String errorText() {
        return errorText;
    }

    /** The command (the whole line of it) libnftables reported first, when it named one. */
    public Optional<String> failingCommand() {
        return problems.stream().map(Problem::command).filter(c -> !c.isEmpty()).findFirst();
    }

    /** The 1-based line of the commands where {@link #failingCommand()} is, when libnftables said. */
    public OptionalInt failingLine() {
        return problems.stream().filter(p -> !p.command().isEmpty()).mapToInt(Problem::line).filter(l -> l > 0)
                .findFirst();
    }

    List<Problem> problems() {
        return problems;
    }

    /** The single error is ENOENT: the object the command names (a table to list, say) does not exist. */
    public boolean isNoSuchObject() {
        return problems.size() == 1 && problems.get(0).message().startsWith("No such file or directory");
    }

    static List<Problem> parse(String errorText) {
        List<Problem> problems = new ArrayList<>();
        String[] lines = errorText.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            Matcher header = HEADER.matcher(lines[i]);
            if (!header.matches() || !header.group("level").equals("Error")) {
                continue;
            }
            int line = header.group("line") == null ? 0 : Integer.parseInt(header.group("line"));
            String command = "";
            String marked = "";
            if (i + 2 < lines.length && !HEADER.matcher(lines[i + 1]).matches()
                    && MARKER.matcher(lines[i + 2]).matches()) {
                command = lines[i + 1];
                marked = marked(command, lines[i + 2]);
                i += 2;
            }
            problems.add(new Problem(line, header.group("message").strip(), command, marked));
        }
        return problems;
    }

    /** What the {@code ^} marks: the marker line has one column per byte of the command line. */
    private static String marked(String command, String marker) {
        byte[] bytes = command.getBytes(StandardCharsets.UTF_8);
        int first = Math.min(marker.indexOf('^'), bytes.length);
        int last = Math.min(marker.lastIndexOf('^') + 1, bytes.length);
        return first < 0 || last <= first ? "" : new String(bytes, first, last - first, StandardCharsets.UTF_8);
    }

    private static String describe(String errorText, int returnCode, List<Problem> problems) {
        if (problems.isEmpty()) {
            String text = errorText.strip().replaceAll("\\s*\\n\\s*", " / ");
            return text.isEmpty()
                    ? "libnftables failed (return code " + returnCode + ") without an error message"
                    : "libnftables: " + text;
        }
        StringBuilder out = new StringBuilder("libnftables: ");
        for (int i = 0; i < Math.min(problems.size(), ERRORS_IN_MESSAGE); i++) {
            Problem p = problems.get(i);
            if (i > 0) {
                out.append("; ");
            }
            out.append(p.message());
            String command = p.command().strip();
            if (!command.isEmpty()) {
                out.append(" (");
                if (p.line() > 0) {
                    out.append("line ").append(p.line()).append(": ");
                }
                out.append('"').append(command).append('"');
                if (!p.marked().isBlank() && !p.marked().strip().equals(command)) {
                    out.append(", at \"").append(p.marked().strip()).append('"');
                }
                out.append(')');
            }
        }
        if (problems.size() > ERRORS_IN_MESSAGE) {
            out.append("; and ").append(problems.size() - ERRORS_IN_MESSAGE).append(" more");
        }
        return out.toString();
    }
}
