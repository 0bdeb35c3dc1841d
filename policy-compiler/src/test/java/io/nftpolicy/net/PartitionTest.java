package io.nftpolicy.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.net.Partition.Cell;
import io.nftpolicy.net.Partition.Piece;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PartitionTest {

    private static Piece<Integer, String> piece(int first, int last, String label) {
        return new Piece<>(first, last, label);
    }

    private static Cell<Integer, String> cell(int first, int last, String... labels) {
        return new Cell<>(first, last, new TreeSet<>(List.of(labels)));
    }

    private static Piece<IpAddress, String> piece(String first, String last, String label) {
        return new Piece<>(IpAddress.parse(first), IpAddress.parse(last), label);
    }

    private static Cell<IpAddress, String> cell(String first, String last, String... labels) {
        return new Cell<>(IpAddress.parse(first), IpAddress.parse(last), new TreeSet<>(List.of(labels)));
    }

    private static List<Cell<Integer, String>> numbers(List<Piece<Integer, String>> pieces) {
        return Partition.of(pieces, Partition.NUMBERS);
    }

    private static List<Cell<IpAddress, String>> addresses(List<Piece<IpAddress, String>> pieces) {
        return Partition.of(pieces, Partition.ADDRESSES);
    }

    @Test
    void noPiecesGiveNoCells() {
        assertThat(numbers(List.of())).isEmpty();
    }

    @Test
    void onePieceIsOneCell() {
        assertThat(numbers(List.of(piece(80, 90, "a")))).containsExactly(cell(80, 90, "a"));
    }

    @Test
    void disjointPiecesStayAsTheyAreInOrder() {
        assertThat(numbers(List.of(piece(10, 20, "b"), piece(1, 5, "a"))))
                .containsExactly(cell(1, 5, "a"), cell(10, 20, "b"));
    }

    @Test
    void aGapKeepsPiecesWithTheSameLabelApart() {
        assertThat(numbers(List.of(piece(1, 5, "a"), piece(7, 10, "a"))))
                .containsExactly(cell(1, 5, "a"), cell(7, 10, "a"));
    }

    @Test
    void overlapIsCutIntoCellsCarryingTheUnionOfLabels() {
        assertThat(numbers(List.of(piece(1, 10, "a"), piece(5, 15, "b"))))
                .containsExactly(cell(1, 4, "a"), cell(5, 10, "a", "b"), cell(11, 15, "b"));
    }

    @Test
    void overlapOfOnePointIsItsOwnCell() {
        assertThat(numbers(List.of(piece(1, 5, "a"), piece(5, 9, "b"))))
                .containsExactly(cell(1, 4, "a"), cell(5, 5, "a", "b"), cell(6, 9, "b"));
    }

    @Test
    void adjacentCellsWithEqualLabelsMerge() {
        assertThat(numbers(List.of(piece(1, 5, "a"), piece(6, 10, "a")))).containsExactly(cell(1, 10, "a"));
    }

    @Test
    void adjacentCellsWithDifferentLabelsStaySeparate() {
        assertThat(numbers(List.of(piece(1, 5, "a"), piece(6, 10, "b"))))
                .containsExactly(cell(1, 5, "a"), cell(6, 10, "b"));
    }

    @Test
    void identicalPiecesWithOneLabelCollapseIntoOneCell() {
        assertThat(numbers(List.of(piece(1, 5, "a"), piece(1, 5, "a")))).containsExactly(cell(1, 5, "a"));
    }

    @Test
    void identicalPiecesWithDifferentLabelsBecomeOneCellWithBothLabels() {
        assertThat(numbers(List.of(piece(1, 5, "b"), piece(1, 5, "a")))).containsExactly(cell(1, 5, "a", "b"));
    }

    @Test
    void aNestedPieceSplitsItsContainerInThree() {
        assertThat(numbers(List.of(piece(1, 100, "outer"), piece(10, 20, "inner"))))
                .containsExactly(cell(1, 9, "outer"), cell(10, 20, "inner", "outer"), cell(21, 100, "outer"));
    }

    @Test
    void aNestedPieceWithTheSameLabelLeavesOneCell() {
        assertThat(numbers(List.of(piece(1, 100, "a"), piece(10, 20, "a")))).containsExactly(cell(1, 100, "a"));
    }

    @Test
    void aPieceSharingTheFirstPointOfItsContainerSplitsItInTwo() {
        assertThat(numbers(List.of(piece(1, 100, "outer"), piece(1, 20, "inner"))))
                .containsExactly(cell(1, 20, "inner", "outer"), cell(21, 100, "outer"));
    }

    @Test
    void aPieceSharingTheLastPointOfItsContainerSplitsItInTwo() {
        assertThat(numbers(List.of(piece(1, 100, "outer"), piece(50, 100, "inner"))))
                .containsExactly(cell(1, 49, "outer"), cell(50, 100, "inner", "outer"));
    }

    @Test
    void portsOfOneRuleCutTheFullPortRangeOfAnother() {
        assertThat(numbers(List.of(piece(0, 65535, "all"), piece(80, 80, "http"))))
                .containsExactly(cell(0, 79, "all"), cell(80, 80, "all", "http"), cell(81, 65535, "all"));
    }

    @Test
    void numbersUpToTheLargestIntegerAreSupported() {
        int max = Integer.MAX_VALUE;
        assertThat(numbers(List.of(piece(max - 10, max, "a"), piece(max - 5, max, "b"))))
                .containsExactly(cell(max - 10, max - 6, "a"), cell(max - 5, max, "a", "b"));
    }

    @Test
    void aPieceEndingAtTheLastIpv4AddressKeepsItsEnd() {
        assertThat(addresses(List.of(piece("10.0.0.0", "255.255.255.255", "a"))))
                .containsExactly(cell("10.0.0.0", "255.255.255.255", "a"));
    }

    @Test
    void piecesEndingAtTheLastIpv4AddressAreCutAndKeepTheEnd() {
        assertThat(addresses(List.of(
                piece("255.255.255.0", "255.255.255.255", "a"),
                piece("255.255.255.128", "255.255.255.255", "b"))))
                .containsExactly(
                        cell("255.255.255.0", "255.255.255.127", "a"),
                        cell("255.255.255.128", "255.255.255.255", "a", "b"));
    }

    @Test
    void aPieceInsideOneEndingAtTheLastAddressSplitsIt() {
        assertThat(addresses(List.of(
                piece("255.0.0.0", "255.255.255.255", "wide"),
                piece("255.1.0.0", "255.1.255.255", "narrow"))))
                .containsExactly(
                        cell("255.0.0.0", "255.0.255.255", "wide"),
                        cell("255.1.0.0", "255.1.255.255", "narrow", "wide"),
                        cell("255.2.0.0", "255.255.255.255", "wide"));
    }

    @Test
    void theWholeIpv4SpaceIsOneCell() {
        assertThat(addresses(List.of(piece("0.0.0.0", "255.255.255.255", "all"), piece("0.0.0.0", "0.0.0.0", "all"))))
                .containsExactly(cell("0.0.0.0", "255.255.255.255", "all"));
    }

    @Test
    void piecesEndingAtTheLastIpv6AddressAreCutAndKeepTheEnd() {
        String max = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
        assertThat(addresses(List.of(piece("::", max, "all"), piece("ffff::", max, "top"), piece("::1", "::1", "lo"))))
                .containsExactly(
                        cell("::", "::", "all"),
                        cell("::1", "::1", "all", "lo"),
                        cell("::2", "fffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "all"),
                        cell("ffff::", max, "all", "top"));
    }

    @Test
    void addressCellsFollowTheNumericOrderOfAddresses() {
        assertThat(addresses(List.of(
                piece("10.0.0.0", "10.0.0.255", "a"),
                piece("9.255.255.255", "10.0.0.0", "b"))))
                .containsExactly(
                        cell("9.255.255.255", "9.255.255.255", "b"),
                        cell("10.0.0.0", "10.0.0.0", "a", "b"),
                        cell("10.0.0.1", "10.0.0.255", "a"));
    }

    @Test
    void rejectsAPieceThatEndsBeforeItStarts() {
        assertThatThrownBy(() -> numbers(List.of(piece(5, 4, "a")))).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * For random inputs over 0..99 (fixed seeds), every point carries exactly the labels of the pieces covering
     * it, points no piece covers are in no cell, cells are ordered and disjoint, and neighbouring cells differ in
     * labels or leave a gap (else they would have been merged).
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
    void cellsCoverExactlyTheUnionWithExactlyTheCoveringLabels(long seed) {
        Random random = new Random(seed);
        List<Piece<Integer, String>> pieces = new ArrayList<>();
        int count = 1 + random.nextInt(8);
        for (int i = 0; i < count; i++) {
            int first = random.nextInt(100);
            int last = Math.min(99, first + random.nextInt(30));
            pieces.add(piece(first, last, "l" + random.nextInt(4)));
        }

        List<Cell<Integer, String>> cells = numbers(pieces);

        for (int point = 0; point < 100; point++) {
            TreeSet<String> expected = new TreeSet<>();
            for (var p : pieces) {
                if (p.first() <= point && point <= p.last()) {
                    expected.add(p.label());
                }
            }
            int at = point;
            List<Cell<Integer, String>> containing = cells.stream()
                    .filter(c -> c.first() <= at && at <= c.last()).toList();
            if (expected.isEmpty()) {
                assertThat(containing).as("point %d of %s", point, pieces).isEmpty();
            } else {
                assertThat(containing).as("point %d of %s", point, pieces).hasSize(1);
                assertThat(containing.get(0).labels()).as("point %d of %s", point, pieces).isEqualTo(expected);
            }
        }
        for (int i = 1; i < cells.size(); i++) {
            var previous = cells.get(i - 1);
            var current = cells.get(i);
            assertThat(current.first()).isGreaterThan(previous.last());
            assertThat(current.first() == previous.last() + 1 && current.labels().equals(previous.labels()))
                    .as("cells %s and %s should have been merged", previous, current).isFalse();
        }
    }
}
