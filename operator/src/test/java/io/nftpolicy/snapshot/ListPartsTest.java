package io.nftpolicy.snapshot;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.snapshot.ListParts.Part;
import io.nftpolicy.snapshot.ListParts.Role;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListPartsTest {
    @Test
    void cutsAKubectlListBeforeItemLinesIntoHeadRunsOfItemsAndTail() throws Exception {
        String text = Files.readString(snapshot("kubectl-list.yaml"));

        for (int parts = 2; parts <= 4; parts++) {
            List<Part> cut = ListParts.split(text, parts);

            assertThat(String.join("", cut.stream().map(Part::text).toList())).as("%d parts", parts).isEqualTo(text);
            assertThat(cut).extracting(Part::role).startsWith(Role.HEAD).endsWith(Role.TAIL)
                    .containsOnlyOnce(Role.HEAD, Role.TAIL).contains(Role.ITEMS);
            assertThat(cut.subList(1, cut.size())).allMatch(p -> p.role() == Role.TAIL || p.text().startsWith("- "));
        }
    }

    @Test
    void eachPartKnowsTheFileLinesBeforeIt() throws Exception {
        String text = Files.readString(snapshot("kubectl-list.yaml"));

        List<Part> cut = ListParts.split(text, 4);

        int before = 0;
        for (Part part : cut) {
            assertThat(part.lineOffset()).as(part.role().toString()).isEqualTo(text.substring(0, before).lines().count());
            before += part.text().length();
        }
        assertThat(cut).extracting(Part::lineOffset).doesNotHaveDuplicates();
    }

    @Test
    void leavesOtherFilesWhole() {
        assertThat(ListParts.split("- kind: Pod\n- kind: Pod\n", 2)).isNull(); // no List
        assertThat(ListParts.split("items:\n  - kind: Pod\n  - kind: Pod\n", 2)).isNull(); // indented
        assertThat(ListParts.split("items:\n- kind: Pod\n- kind: Pod\n", 1)).isNull();
    }

    @Test
    void leavesAFileUnderAMebibyteWhole() {
        assertThat(ListParts.cut("items:\n- kind: Pod\n- kind: Pod\n", 2)).isNull();
    }
}
