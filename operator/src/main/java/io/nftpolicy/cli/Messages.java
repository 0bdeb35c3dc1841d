package io.nftpolicy.cli;

import java.io.PrintWriter;

/** The one-line messages nftpolicy writes on standard error. */
final class Messages {
    static final String PREFIX = "nftpolicy: ";

    private Messages() {}

    static void error(PrintWriter err, String message) {
        line(err, "error: ", message);
    }

    static void warning(PrintWriter err, String message) {
        line(err, "warning: ", message);
    }

    static void note(PrintWriter err, String message) {
        line(err, "note: ", message);
    }

    static void line(PrintWriter err, String level, String message) {
        err.println(PREFIX + level + oneLine(message));
        err.flush();
    }

    /** Folds a message that spans lines (an nft error with its caret, say) into one. */
    static String oneLine(String message) {
        return message == null ? "" : message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
