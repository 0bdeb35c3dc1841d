package io.nftpolicy.backend.libnftables;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Reading libnftables 1.0.6's error text (samples as it prints them), without the kernel. */
class NftablesExceptionTest {
    private static final String LOCATED = """
            commands:3:19-21: Error: No such file or directory; did you mean table ‘a’ in family inet?
            delete table inet zzz
                              ^^^
            """;

    @Test
    void aLocatedErrorGivesItsLineCommandAndMarkedPart() {
        NftablesException e = NftablesException.fromErrorText(LOCATED, -1, true);

        assertThat(e.failingLine()).hasValue(3);
        assertThat(e.failingCommand()).hasValue("delete table inet zzz");
        assertThat(e.getMessage()).isEqualTo("libnftables: No such file or directory; did you mean table ‘a’ in "
                + "family inet? (line 3: \"delete table inet zzz\", at \"zzz\")");
        assertThat(e.errorText()).isEqualTo(LOCATED);
    }

    @Test
    void anErrorOfOneLineHasNoLineNumberButItsCommand() {
        NftablesException e = NftablesException.fromErrorText(
                "Error: No such file or directory\nlist table inet nope\n                ^^^^\n", -1, true);

        assertThat(e.failingLine()).isEmpty();
        assertThat(e.failingCommand()).hasValue("list table inet nope");
        assertThat(e.getMessage())
                .isEqualTo("libnftables: No such file or directory (\"list table inet nope\", at \"nope\")");
    }

    @Test
    void theMarkerCountsBytesSoTextBeforeItMayBeAnyUtf8() {
        NftablesException e = NftablesException.fromErrorText(
                "Error: syntax error\nadd rule t c comment \"café\" bogus\n" + " ".repeat(29) + "^^^^^\n", 1, true);

        assertThat(e.getMessage()).endsWith(", at \"bogus\")");
    }

    @Test
    void errorsThatDoNotQuoteTheFailingLineKeepOnlyTheirMessages() {
        // 1.0.6 with a buffer of several lines: the quoted line is the buffer's first, whatever failed.
        NftablesException e = NftablesException.fromErrorText(
                "Error: Could not process rule: No such file or directory\nadd table inet a\n"
                        + "                                        ^^^^^^^^^^^\n", -1, false);

        assertThat(e.failingCommand()).isEmpty();
        assertThat(e.getMessage()).isEqualTo("libnftables: Could not process rule: No such file or directory");
        assertThat(e.errorText()).contains("add table inet a");
    }

    @Test
    void severalErrorsMakeOneParagraph() {
        NftablesException e = NftablesException.fromErrorText("""
                commands:1:8-8: Error: syntax error, unexpected newline
                foo bar
                       ^
                commands:3:4-4: Error: syntax error, unexpected end of file, expecting string
                baz
                   ^
                """, -1, true);

        // The markers point past the end of the line: nothing is marked.
        assertThat(e.getMessage()).isEqualTo("libnftables: syntax error, unexpected newline (line 1: \"foo bar\"); "
                + "syntax error, unexpected end of file, expecting string (line 3: \"baz\")");
        assertThat(e.failingLine()).hasValue(1);
    }

    @Test
    void noErrorTextStillSaysWhatHappened() {
        assertThat(NftablesException.fromErrorText("", -1, true).getMessage())
                .isEqualTo("libnftables failed (return code -1) without an error message");
    }

    @Test
    void sameErrorsIgnoresWhereTheyAreLocated() {
        String buffer = "Error: No such file or directory; did you mean table ‘a’ in family inet?\n"
                + "add table inet a\n                  ^^^\n";

        assertThat(NftablesException.sameErrors(buffer, LOCATED)).isTrue();
        assertThat(NftablesException.sameErrors(buffer, "Error: syntax error\nx\n^\n")).isFalse();
    }
}
