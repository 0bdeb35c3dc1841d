package io.nftpolicy.bench.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MarkdownTableTest {

    @Test
    void padsColumnsAndRightAlignsNumbers() {
        String table = MarkdownTable.of("pods", "layout", "time")
            .withRow("1,000", "sets", "3.5 ms")
            .withRow("10,000", "linear", "41 ms")
            .toString();

        assertThat(table).isEqualTo("""
            |   pods | layout |   time |
            | -----: | ------ | -----: |
            |  1,000 | sets   | 3.5 ms |
            | 10,000 | linear |  41 ms |
            """);
    }

    @Test
    void aMissingFigureKeepsAColumnOfNumbersRightAligned() {
        String table = MarkdownTable.of("bytes").withRow("1,024 B").withRow("n/a").withRow("-").toString();

        assertThat(table).contains("| ------: |", "|     n/a |");
    }

    @Test
    void escapesPipesInCells() {
        assertThat(MarkdownTable.of("rule").withRow("a | b").toString()).contains("| a \\| b |");
    }

    @Test
    void aRowOfTheWrongWidthIsAnError() {
        assertThatThrownBy(() -> MarkdownTable.of("a", "b").withRow(1))
            .hasMessageContaining("has 1 cells, the header [a, b] has 2");
    }
}
