package io.nftpolicy.snapshot;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.nftpolicy.generate.ClusterGenerator;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BlockYamlTest {
    private static final ClusterGenerator.Size SIZE = new ClusterGenerator.Size(6, 9, 3, 4, 5L);
    private final YAMLFactory yaml = new YAMLFactory();

    /** The items of a List's text, each read line by line and by Jackson: the same trees, with the same places. */
    private void readsEveryItemAsJacksonDoes(String text) throws Exception {
        int start = ListParts.itemsStart(ListParts.itemsKey(text));
        int end = ListParts.nextLineAtColumn0(text, text.lastIndexOf("\n- ") + 1, text.length());
        BlockYaml lines = new BlockYaml(text, start, end, ListParts.lines(text, 0, start), true);
        List<JsonNode> read = new ArrayList<>();
        while (lines.position() < end) {
            read.add(lines.item());
        }
        List<JsonNode> jackson = jackson(text.substring(start, end), ListParts.lines(text, 0, start));

        assertThat(read).isEqualTo(jackson);
        for (int i = 0; i < read.size(); i++) {
            assertThat(places(read.get(i))).as("item %d", i).isEqualTo(places(jackson.get(i)));
        }
        assertThat(lines.line()).isEqualTo(ListParts.lines(text, 0, end));
    }

    /** The items of a sequence at column 0 as Jackson reads them, on lines counted from {@code line}. */
    private List<JsonNode> jackson(String items, int line) throws Exception {
        LocatedTree tree = new LocatedTree(false, line);
        List<JsonNode> nodes = new ArrayList<>();
        try (JsonParser parser = yaml.createParser(items)) {
            assertThat(parser.nextToken()).isEqualTo(JsonToken.START_ARRAY);
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                nodes.add(tree.readNested(parser, 2));
            }
        }
        return nodes;
    }

    /** Where each mapping and sequence of the tree starts, by path. */
    private static Map<String, LocatedTree.Position> places(JsonNode node) {
        Map<String, LocatedTree.Position> places = new TreeMap<>();
        places("", node, places);
        return places;
    }

    private static void places(String path, JsonNode node, Map<String, LocatedTree.Position> places) {
        if (node.isContainerNode()) {
            places.put(path, LocatedTree.start(node));
            if (node.isArray()) {
                for (int i = 0; i < node.size(); i++) {
                    places(path + "[" + i + "]", node.get(i), places);
                }
            } else {
                node.properties().forEach(e -> places(path + "." + e.getKey(), e.getValue(), places));
            }
        }
    }

    private static JsonNode item(String item) throws BlockYaml.Declined {
        return new BlockYaml(item, 0, item.length(), 0).item();
    }

    @Test
    void readsTheItemsOfAGeneratedClusterAsJacksonDoes() throws Exception {
        readsEveryItemAsJacksonDoes(SnapshotWriter.toYaml(ClusterGenerator.generate(SIZE)));
    }

    @Test
    void readsTheItemsOfAKubectlListAsJacksonDoes() throws Exception {
        readsEveryItemAsJacksonDoes(Files.readString(snapshot("kubectl-list.yaml")));
    }

    @Test
    void readsAPodAsKubectlWritesItWithEverythingPolicyLeavesAlone() throws Exception {
        readsEveryItemAsJacksonDoes(Files.readString(snapshot("kubectl-pods.yaml")));
    }

    @Test
    void readsScalarsAsJacksonTypesThem() throws Exception {
        readsEveryItemAsJacksonDoes("items:\n- kind: Pod\n  port: 8080\n  negative: -12\n  zero: 0\n"
                + "  on: true\n  off: false\n  nothing: null\n  tilde: ~\n  empty:\n  ip: 10.65.64.2\n"
                + "  image: registry:5000/app:1.4\n  quoted: \"80\"\n  single: 'it''s'\n  escaped: \"a\\\"b\\\\c\\n\\u00e9\\x41\"\n"
                + "  smile: \"\uD83D\uDE00\"\n  \uD83D\uDE00: x\n  hash: a#b\n  spaces: a  b   \n  unicode: café ✓\n  emptyQuoted: \"\"\n  flow: {}\n  list: []\n"
                + "  \"quoted key\": 1\n  'single key': 2\n  kubernetes.io/metadata.name: x\n");
    }

    @Test
    void readsNestedSequencesAndMappingsAtEveryIndentationKubectlWrites() throws Exception {
        readsEveryItemAsJacksonDoes("items:\n- spec:\n    ingress:\n    - from:\n      - podSelector:\n"
                + "          matchLabels:\n            a: b\n      ports:\n      - port: 80\n    -\n    - x\n"
                + "    indented:\n      - a\n      -   b: c\n          d: e\n    policyTypes:\n    - Ingress\n"
                + "  last: 1\n-\n- plain\n- \"quoted\"\n");
    }

    /** A Pod keeps what policy reads; the rest is read, so that what Jackson refuses is still declined, but left out. */
    @Test
    void keepsOfAPodWhatPolicyReadsAndLeavesTheRestNull() throws Exception {
        String text = Files.readString(snapshot("kubectl-pods.yaml"));
        int start = ListParts.itemsStart(ListParts.itemsKey(text));
        JsonNode whole = jackson(text.substring(start, text.indexOf("\nkind: List") + 1), 2).get(0);

        JsonNode pod = new BlockYaml(text, start, text.length(), 2).item();

        for (String kept : List.of("/apiVersion", "/kind", "/metadata/name", "/metadata/namespace", "/metadata/uid",
                "/metadata/labels", "/metadata/creationTimestamp", "/spec/containers/0/ports", "/spec/nodeName",
                "/status/phase", "/status/podIP", "/status/podIPs")) {
            assertThat(pod.at(kept)).as(kept).isEqualTo(whole.at(kept)).isNotEqualTo(MissingNode.getInstance());
            assertThat(places(pod.at(kept))).as(kept).isEqualTo(places(whole.at(kept)));
        }
        for (String left : List.of("/metadata/managedFields", "/metadata/annotations", "/spec/containers/0/env",
                "/spec/containers/0/name", "/spec/volumes", "/spec/tolerations", "/status/conditions",
                "/status/containerStatuses")) {
            assertThat(whole.at(left).isContainerNode() || whole.at(left).isTextual()).as(left).isTrue();
            assertThat(pod.at(left).isNull()).as(left).isTrue();
        }
    }

    @Test
    void declinesInWhatItLeavesOutOfAPodWhatItDeclinesElsewhere() throws Exception {
        String pod = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n    managedFields:\n    - manager: x\n";

        assertThat(item(pod + "      time: \"t\"\n").at("/metadata/name").asText()).isEqualTo("p");
        for (String declined : List.of("      time: 1.5\n", "      manager: y\n", "      time: \"t\n", "      a: |\n")) {
            assertThatThrownBy(() -> item(pod + declined)).as(declined).isInstanceOf(BlockYaml.Declined.class);
        }
    }

    @Test
    void declinesWhatItDoesNotReadAsJacksonWould() {
        List<String> declined = List.of(
                "- a: |\n    text\n", // block scalars
                "- a: >-\n    text\n",
                "- a: b # comment\n",
                "- # comment\n  a: b\n",
                "- a: b\n\n  c: d\n", // a blank line
                "- a: &x b\n", // anchors, aliases, tags, merge keys
                "- a: *x\n",
                "- a: !!str 1\n",
                "- <<: {a: b}\n",
                "- a: {b: c}\n", // flow collections with content
                "- a: [b]\n",
                "- a: plain\n    continued\n", // scalars that continue on the next line
                "- a: \"quoted\n    continued\"\n",
                "- a:\n    b\n",
                "- a: 1.5\n", // types read here rarely
                "- a: yes\n",
                "- a: 012\n",
                "- a: 0x1F\n",
                "- a: 2024-05-01\n",
                "- a: 1\n  a: 2\n", // a key twice
                "- a:\tb\n", // tabs
                "- a: b\r\n", // other line breaks
                "- a: b\u0085c\n",
                "- a: b: c\n",
                "- \uD83D\uDE00: {}\n", // SnakeYAML counts the emoji as one column
                "- ? a\n  : b\n",
                "- - a\n",
                "- a: b\n - c\n",
                "- a\n  b: c\n");
        for (String item : declined) {
            assertThatThrownBy(() -> item(item)).as(item).isInstanceOf(BlockYaml.Declined.class);
        }
    }
}
