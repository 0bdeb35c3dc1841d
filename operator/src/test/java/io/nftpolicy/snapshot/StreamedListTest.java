package io.nftpolicy.snapshot;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nftpolicy.deploy.Repository;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.snapshot.ListParts.Part;
import io.nftpolicy.snapshot.ListParts.Role;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamedListTest {
    private final YAMLFactory yaml = new YAMLFactory();
    private final SnapshotReader reader = new SnapshotReader();
    private static final ClusterGenerator.Size SIZE = new ClusterGenerator.Size(6, 9, 3, 4, 5L);
    private static final ClusterGenerator.Size LARGE = new ClusterGenerator.Size(50, 50, 5, 4, 5L);

    private static List<Part> whole(String text) {
        return List.of(new Part(Role.HEAD, text, 0));
    }

    private SnapshotFile asTree(String text) throws SnapshotException {
        return reader.readAsTree("f.yaml", text.getBytes(StandardCharsets.UTF_8));
    }

    /** kubectl-pods.yaml has pods as kubectl prints them: what policy does not read is left out of their trees. */
    @Test
    void readsKubectlListsAsTheWholeTreeReadsThem() throws Exception {
        for (String fixture : List.of("kubectl-list.yaml", "kubectl-pods.yaml")) {
            String text = Files.readString(snapshot(fixture));

            SnapshotFile streamed = StreamedList.read("f.yaml", yaml, whole(text));

            assertThat(streamed).as(fixture).isNotNull().isEqualTo(asTree(text));
            assertThat(streamed.snapshot().pods()).as(fixture).hasSize(2);
        }
    }

    @Test
    void readsAGeneratedListInAnyNumberOfPartsAsTheWholeTreeReadsIt() throws Exception {
        String text = SnapshotWriter.toYaml(ClusterGenerator.generate(SIZE));
        SnapshotFile expected = asTree(text);

        for (int parts = 2; parts <= 5; parts++) {
            assertThat(StreamedList.read("f.yaml", yaml, ListParts.split(text, parts))).as("%d parts", parts)
                    .isEqualTo(expected);
        }
        assertThat(expected.snapshot().pods()).hasSize(54);
    }

    @Test
    void readsTheJsonOfAListAsTheYamlOfTheSameList() throws Exception {
        var cluster = ClusterGenerator.generate(SIZE);

        SnapshotFile json = StreamedList.read("f.json", JsonFactory.builder().build(), whole(SnapshotWriter.toJson(cluster)));

        assertThat(json).isNotNull().isEqualTo(asTree(SnapshotWriter.toYaml(cluster)));
    }

    /** JSON in ASCII is parsed from its bytes, other JSON from its text: the same records, warnings at the same columns. */
    @Test
    void readsJsonFromItsBytesAsTheWholeTreeReadsItsText() throws Exception {
        String ascii = "{\"kind\":\"List\",\"items\":[{\"kind\":\"Namespace\",\"metadata\":{\"name\":\"a\"}},"
                + "{\"apiVersion\":\"x/v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"}}]}";
        String accented = ascii.replace("\"name\":\"a\"", "\"name\":\"a\",\"annotations\":{\"note\":\"caf\u00e9\"}");

        for (String text : List.of(ascii, accented)) {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            SnapshotFile file = reader.read("f.json", bytes);

            assertThat(file).isEqualTo(reader.readAsTree("f.json", bytes));
            assertThat(file.warnings()).singleElement().asString().startsWith("f.json:1:" + (text.indexOf("{\"apiV") + 1));
        }
    }

    /** Over a mebibyte in one part: the items become records on a second thread while the parser reads on. */
    @Test
    void readsALargeJsonListAsTheWholeTreeReadsIt() throws Exception {
        String text = SnapshotWriter.toJson(ClusterGenerator.generate(LARGE));
        assertThat(text.length()).isGreaterThan(ListParts.MIN_LENGTH);

        SnapshotFile json = StreamedList.read("f.json", JsonFactory.builder().build(), whole(text));

        assertThat(json).isNotNull().isEqualTo(asTree(text));
        assertThat(json.snapshot().pods()).hasSize(2500);
    }

    @Test
    void givesUpOnAProblemInALargeJsonListFoundWhileTheParserReadsOn() {
        String text = SnapshotWriter.toJson(ClusterGenerator.generate(LARGE))
                .replaceFirst("\"nodeName\":\"node-[0-9]+\"", "\"nodeName\":{\"a\":1}");

        assertThat(StreamedList.read("f.json", JsonFactory.builder().build(), whole(text))).isNull();
        assertThatThrownBy(() -> reader.read("f.json", text.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("spec.nodeName: expected a string, found a mapping");
    }

    @Test
    void warnsAboutASkippedObjectAtItsLineInTheFileWhicheverPartReadIt() throws Exception {
        StringBuilder text = new StringBuilder("apiVersion: v1\nitems:\n");
        for (int i = 0; i < 6; i++) {
            text.append("- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p").append(i).append('\n');
        }
        text.append("- apiVersion: extensions/v1beta1\n  kind: NetworkPolicy\n  metadata:\n    name: old\n");
        text.append("kind: List\n");
        SnapshotFile expected = asTree(text.toString());
        assertThat(expected.warnings()).singleElement().asString().startsWith("f.yaml:27:3: NetworkPolicy default/old");

        for (int parts = 2; parts <= 4; parts++) {
            assertThat(StreamedList.read("f.yaml", yaml, ListParts.split(text.toString(), parts))).isEqualTo(expected);
        }
    }

    /** A line "- " at column 0 inside a quoted scalar is no item: a part cut there does not read. */
    @Test
    void neverReadsOtherRecordsThanTheWholeTree() throws Exception {
        String text = "apiVersion: v1\nitems:\n- kind: Namespace\n  metadata:\n    name: a\n    labels:\n"
                + "      x: \"one\n- two\n- three\"\n- kind: Pod\n  metadata:\n    name: p\n"
                + "- kind: Pod\n  metadata:\n    name: q\nkind: List\n";
        SnapshotFile expected = asTree(text);
        assertThat(expected.snapshot().pods()).hasSize(2);

        int gaveUp = 0;
        for (int parts = 2; parts <= 8; parts++) {
            SnapshotFile streamed = StreamedList.read("f.yaml", yaml, ListParts.split(text, parts));
            if (streamed == null) {
                gaveUp++;
            } else {
                assertThat(streamed).isEqualTo(expected);
            }
        }
        assertThat(gaveUp).isPositive();
    }

    /** samples/demo is a List with comments before it; samples/cluster-network-policy is documents, read whole. */
    @Test
    void readsTheDemoSampleAsTheWholeTreeReadsIt() throws Exception {
        String text = Files.readString(Repository.path("samples/demo/cluster.yaml"));

        assertThat(read(text)).isNotNull().isEqualTo(asTree(text));
    }

    /** A block scalar, a comment, a float: items the line reader declines are read by Jackson, in file order. */
    @Test
    void readsTheItemsTheLineReaderDeclinesAsTheWholeTreeReadsThem() throws Exception {
        String text = "apiVersion: v1\nitems:\n"
                + "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: a\n    annotations:\n      note: |\n"
                + "        two\n        lines\n"
                + "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n    namespace: a\n  # a comment\n"
                + "  spec:\n    nodeName: n1\n"
                + "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: q\n    namespace: a\n  spec:\n    nodeName: n1\n"
                + "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: r\n    namespace: a\n    labels:\n      weight: 1.5\n"
                + "# the end\nkind: List\nmetadata:\n  resourceVersion: \"\"\n";
        SnapshotFile expected = asTree(text);

        assertThat(read(text)).isEqualTo(expected);
        assertThat(expected.snapshot().pods()).extracting(p -> p.name() + " " + p.labels())
                .containsExactly("p {}", "q {}", "r {weight=1.5}");
    }

    /** The reading line by line gives up on a value of the wrong type; the whole reading names its place. */
    @Test
    void leavesAProblemInAnItemReadLineByLineToTheWholeReadingWhichNamesFileLineObjectAndField() {
        String text = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n"
                + "    namespace: a\n  spec:\n    hostNetwork: 3\nkind: List\n";

        assertThat(read(text)).isNull();
        assertThatThrownBy(() -> reader.read("f.yaml", text.getBytes(StandardCharsets.UTF_8)))
                .hasMessage("f.yaml:9:18: Pod a/p: spec.hostNetwork: expected true or false, found 3");
    }

    /** SnakeYAML counts U+2028 as a line break, and the lines after it; the whole reading reads such a file. */
    @Test
    void givesUpOnAnItemWithLineBreaksOtherThanNewline() throws Exception {
        String inItem = "kind: List\nitems:\n- kind: Namespace\n  metadata:\n    name: a\n    annotations:\n"
                + "      x: \"a\u2028b\"\n- kind: Namespace\n  metadata:\n    name: b\n";
        String beforeItems = "metadata:\n  x: \"a\u2028b\"\nkind: List\nitems:\n- kind: Namespace\n  metadata:\n"
                + "    name: a\n- kind: Namespace\n  metadata:\n    name: b\n";

        for (String text : List.of(inItem, beforeItems)) {
            assertThat(read(text)).isNull();
            assertThat(asTree(text).snapshot().namespaces()).hasSize(2);
        }
    }

    /** A second document after the items or the List's keys: not one List, in whichever part it falls. */
    @Test
    void givesUpOnADocumentAfterTheItems() {
        StringBuilder list = new StringBuilder("kind: List\nitems:\n");
        for (int i = 0; i < 4; i++) {
            list.append("- kind: Namespace\n  metadata:\n    name: a").append(i).append('\n');
        }
        String items = list.toString();
        assertThat(read(items)).isNotNull();
        for (String after : List.of("---\nkind: Namespace\n", "...\n---\nkind: Namespace\n", "kind: List\n---\n- a\n")) {
            assertThat(read(items + after)).as(after).isNull();
            for (int parts = 2; parts <= 4; parts++) {
                assertThat(StreamedList.read("f.yaml", yaml, ListParts.split(items + after, parts))).as(after).isNull();
            }
        }
    }

    @Test
    void givesUpOnAnchorsAliasesAndMergeKeys() {
        assertThat(read("kind: List\nitems:\n- &a {kind: Namespace, metadata: {name: a}}\n- *a\n")).isNull();
        assertThat(read("kind: List\nitems:\n- kind: Namespace\n  <<: {metadata: {name: a}}\n")).isNull();
        assertThat(read("kind: List\nitems: &all\n- kind: Namespace\n  metadata: {name: a}\n")).isNull();
    }

    @Test
    void givesUpOnFilesThatAreNotOneList() {
        assertThat(read("kind: Namespace\nmetadata: {name: a}\n")).isNull();
        assertThat(read("kind: List\nitems: []\n---\nkind: Namespace\nmetadata: {name: a}\n")).isNull();
        assertThat(read("kind: Pod\nitems: []\nmetadata: {name: a}\n")).isNull();
        assertThat(read("kind: List\nitems: null\n")).isNull();
        assertThat(read("- kind: List\n  items: []\n")).isNull();
    }

    @Test
    void givesUpOnAProblemSoThatTheWholeReadingReportsIt() {
        assertThat(read("kind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n  spec: {hostNetwork: 3}\n")).isNull();
        assertThat(read("kind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n- kind: Pod\n  metadata: {name: a}\n"))
                .isNull();
        assertThat(read("kind: List\nitems: []\nkind: List\n")).isNull();
        assertThat(read("kind: List\nitems:\n- kind: Pod\n  metadata: {name: a, name: b}\n")).isNull();
    }

    @Test
    void givesUpOnAnObjectThatTwoPartsHold() {
        String text = "kind: List\nitems:\n- kind: Namespace\n  metadata: {name: a}\n- kind: Namespace\n"
                + "  metadata: {name: b}\n- kind: Namespace\n  metadata: {name: a}\n";
        List<Part> parts = ListParts.split(text, 2);
        assertThat(parts).extracting(Part::role).containsExactly(Role.HEAD, Role.ITEMS);

        assertThat(StreamedList.read("f.yaml", yaml, parts)).isNull();
    }

    /** The bound counts the List and its items, as a reading of the whole file does. */
    @Test
    void countsTheListsLevelsAgainstTheNestingBound() {
        String deep = "[".repeat(LocatedTree.MAX_DEPTH - 2) + "]".repeat(LocatedTree.MAX_DEPTH - 2);
        String text = "kind: List\nitems:\n- kind: Namespace\n  metadata: {name: a}\n  deep: " + deep + "\n";

        assertThat(read(text)).isNull();
        assertThatThrownBy(() -> reader.read("f.yaml", text.getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("nested deeper than " + LocatedTree.MAX_DEPTH);
    }

    private SnapshotFile read(String text) {
        return StreamedList.read("f.yaml", yaml, whole(text));
    }
}
