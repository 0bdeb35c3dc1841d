package io.nftpolicy.snapshot;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nftpolicy.snapshot.LocatedTree.Document;
import io.nftpolicy.snapshot.LocatedTree.Position;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListPartsTest {
    private final YAMLFactory factory = new YAMLFactory();

    private List<Document> whole(String text) throws Exception {
        try (JsonParser parser = factory.createParser(text)) {
            return new LocatedTree(false).readAll(parser);
        }
    }

    private static List<Position> itemStarts(Document document) {
        List<Position> starts = new ArrayList<>();
        document.root().get("items").forEach(item -> starts.add(LocatedTree.start(item)));
        return starts;
    }

    @Test
    void readsAKubectlListInPartsAsTheSameTreeWithTheSameLines() throws Exception {
        String text = Files.readString(snapshot("kubectl-list.yaml"));
        Document expected = whole(text).get(0);

        for (int parts = 2; parts <= 4; parts++) {
            List<Document> documents = ListParts.split(text, factory, parts);

            assertThat(documents).as("%d parts", parts).hasSize(1);
            assertThat(documents.get(0).root()).isEqualTo(expected.root());
            assertThat(itemStarts(documents.get(0))).isEqualTo(itemStarts(expected));
            assertThat(itemStarts(expected)).extracting(Position::line).doesNotHaveDuplicates().allMatch(l -> l > 2);
        }
    }

    @Test
    void keepsTheKeysAfterTheItemsInTheirPlace() throws Exception {
        String text = "apiVersion: v1\nitems:\n- kind: Namespace\n- kind: Pod\n- kind: Pod\nkind: List\n"
                + "metadata:\n  a: b\n";

        JsonNode root = ListParts.split(text, factory, 2).get(0).root();

        assertThat(root).isEqualTo(whole(text).get(0).root());
        assertThat(root.fieldNames()).toIterable().containsExactly("apiVersion", "items", "kind", "metadata");
    }

    /** A line "- " at column 0 inside a quoted scalar is no item: the part cut there never ends; all is read whole. */
    @Test
    void neverReadsATreeOtherThanTheWholeOne() throws Exception {
        String text = "apiVersion: v1\nitems:\n- kind: Namespace\n  note: \"one\n- two\n- three\"\n- kind: Pod\n"
                + "- kind: Pod\nkind: List\n";
        JsonNode expected = whole(text).get(0).root();
        assertThat(expected.get("items")).hasSize(3);

        int gaveUp = 0;
        for (int parts = 2; parts <= 8; parts++) {
            List<Document> documents = ListParts.split(text, factory, parts);
            if (documents == null) {
                gaveUp++;
            } else {
                assertThat(documents.get(0).root()).isEqualTo(expected);
            }
        }
        assertThat(gaveUp).isPositive();
    }

    @Test
    void givesUpOnAnchorsAliasesAndMergeKeys() {
        assertThat(ListParts.split("items:\n- &a {kind: Pod}\n- *a\n", factory, 2)).isNull();
        assertThat(ListParts.split("items:\n- kind: Pod\n- <<: {kind: Pod}\n", factory, 2)).isNull();
    }

    @Test
    void givesUpOnAKeyThatTheTailWritesAgain() {
        assertThat(ListParts.split("kind: List\nitems:\n- kind: Pod\n- kind: Pod\nkind: List\n", factory, 2)).isNull();
    }

    @Test
    void leavesOtherFilesWhole() {
        assertThat(ListParts.split("- kind: Pod\n- kind: Pod\n", factory, 2)).isNull(); // no List
        assertThat(ListParts.split("items:\n  - kind: Pod\n  - kind: Pod\n", factory, 2)).isNull(); // indented
        assertThat(ListParts.split("items:\n- kind: Pod\n- kind: Pod\n---\nkind: Pod\n", factory, 2)).isNull();
        assertThat(ListParts.split("items:\n- kind: Pod\n- kind: Pod\n", factory, 1)).isNull();
    }
}
