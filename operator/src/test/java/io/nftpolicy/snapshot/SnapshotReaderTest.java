package io.nftpolicy.snapshot;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.policy.NetworkPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotReaderTest {
    private final SnapshotReader reader = new SnapshotReader();

    @TempDir
    Path tmp;

    private SnapshotFile read(String yaml) throws SnapshotException {
        return reader.read("test.yaml", yaml.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsTheNamespacesPodsAndPoliciesOfAKubectlList() throws Exception {
        SnapshotFile objects = reader.read(snapshot("kubectl-list.yaml"));

        assertThat(objects.snapshot().namespaces()).extracting(Namespace::name).containsExactly("prod", "default");
        assertThat(objects.snapshot().pods()).extracting(Pod::ref)
                .containsExactly("prod/api-7c9d8b6f5-x2x9k", "prod/db-0");
        assertThat(objects.snapshot().policies()).extracting(NetworkPolicy::ref).containsExactly("prod/db-from-api");
        assertThat(objects.warnings()).isEmpty();
    }

    @Test
    void readsMultiDocumentYamlFlatteningNestedListsAndSkippingOtherKinds() throws Exception {
        SnapshotFile objects = reader.read(snapshot("multi-doc.yaml"));

        assertThat(objects.snapshot().pods()).extracting(Pod::name).containsExactly("client", "web");
        assertThat(objects.snapshot().policies()).extracting(NetworkPolicy::name)
                .containsExactly("web-ingress", "default-deny-egress");
        assertThat(objects.snapshot().namespaces()).extracting(Namespace::name, n -> n.labels().size())
                .containsExactly(tuple("default", 1), tuple("shop", 1)); // only the name label: the file has none

        assertThat(objects.warnings()).isEmpty();
    }

    @Test
    void readsJson() throws Exception {
        SnapshotFile objects = reader.read(snapshot("cluster.json"));

        assertThat(objects.snapshot().pods()).extracting(Pod::ref).containsExactly("shop/web");
        assertThat(objects.snapshot().policies()).extracting(NetworkPolicy::ref).containsExactly("shop/deny");
    }

    @Test
    void reportsAYamlSyntaxErrorAsOneLineWithFileLineAndColumn() {
        Path file = snapshot("syntax-error.yaml");

        assertThatThrownBy(() -> reader.read(file))
                .isInstanceOf(SnapshotException.class)
                .hasMessage(file + ":10:17: mapping values are not allowed here");
    }

    @Test
    void reportsAJsonSyntaxErrorWithLineAndColumn() {
        assertThatThrownBy(() -> reader.read("c.json", "{\"kind\": \"List\",\n  \"items\": [}\n".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SnapshotException.class)
                .hasMessageStartingWith("c.json:2:13: ")
                .hasMessageNotContaining("\n");
    }

    @Test
    void reportsAMissingFile() {
        Path missing = tmp.resolve("absent.yaml");

        assertThatThrownBy(() -> reader.read(missing)).hasMessage(missing + ": no such file");
    }

    @Test
    void reportsADirectoryGivenAsFile() {
        assertThatThrownBy(() -> reader.read(tmp)).hasMessage(tmp + ": is a directory, not a file");
    }

    @Test
    void rejectsAFileWithoutObjects() throws Exception {
        Path empty = Files.writeString(tmp.resolve("empty.yaml"), "# nothing\n---\n");

        assertThatThrownBy(() -> reader.read(empty)).hasMessage(empty + ": no Kubernetes objects in the file (it is empty)");
    }

    @Test
    void acceptsAnEmptyList() throws Exception {
        assertThat(read("apiVersion: v1\nkind: List\nitems: []\n").snapshot().pods()).isEmpty();
    }

    @Test
    void namesTheListIndexOfAnObjectWithoutName() {
        String yaml = """
                kind: List
                items:
                - kind: Namespace
                  metadata: {name: a}
                - kind: Pod
                  metadata:
                    namespace: a
                """;

        assertThatThrownBy(() -> read(yaml)).hasMessage("test.yaml:5:3: items[1]: Pod has no metadata.name");
    }

    @Test
    void keepsANamespacesNftpolicyAnnotationsOnly() throws Exception {
        String yaml = "kind: Namespace\nmetadata:\n  name: a\n  annotations:\n    nftpolicy.io/log-drops: \"true\"\n"
                + "    kubectl.kubernetes.io/last-applied-configuration: '{}'\n";

        Namespace a = read(yaml).snapshot().namespaces().get(0);

        assertThat(a.annotations()).containsExactly(java.util.Map.entry("nftpolicy.io/log-drops", "true"));
        assertThat(a.logsDrops()).isTrue();
    }

    @Test
    void namesTheDocumentOfAnObjectWithoutName() {
        String yaml = "kind: Namespace\nmetadata: {name: a}\n---\nkind: NetworkPolicy\nmetadata: {namespace: a}\n";

        assertThatThrownBy(() -> read(yaml)).hasMessage("test.yaml:4:1: document 2: NetworkPolicy has no metadata.name");
    }

    @Test
    void rejectsAnObjectWithoutKind() {
        assertThatThrownBy(() -> read("metadata: {name: a}\n")).hasMessage("test.yaml:1:1: object has no kind");
    }

    @Test
    void reportsAValueOfTheWrongTypeAtItsLineWithItsField() {
        String yaml = """
                kind: Pod
                metadata: {name: web, namespace: shop}
                spec:
                  containers:
                  - name: web
                    ports:
                    - containerPort: eighty
                """;

        assertThatThrownBy(() -> read(yaml)).hasMessage(
                "test.yaml:7:22: Pod shop/web: spec.containers[0].ports[0].containerPort: expected an integer, found \"eighty\"");
    }

    @Test
    void rejectsADuplicateKey() {
        String yaml = """
                kind: NetworkPolicy
                metadata: {name: p}
                spec:
                  podSelector: {}
                  podSelector: {matchLabels: {app: web}}
                """;

        assertThatThrownBy(() -> read(yaml)).hasMessage("test.yaml:5:16: duplicate key \"podSelector\" (first at line 4)");
    }

    @Test
    void rejectsTheSameObjectTwice() {
        String yaml = "kind: Pod\nmetadata: {name: a}\n---\nkind: Pod\nmetadata: {name: a, namespace: default}\n";

        assertThatThrownBy(() -> read(yaml)).hasMessage("test.yaml:4:1: Pod default/a appears twice (first at line 1)");
    }

    @Test
    void skipsANetworkPolicyOfAnotherApiGroupWithAWarning() throws Exception {
        String yaml = "apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: a}\n";

        SnapshotFile objects = read(yaml);

        assertThat(objects.snapshot().policies()).isEmpty();
        assertThat(objects.warnings()).containsExactly("test.yaml:1:1: NetworkPolicy a/p of apiVersion "
                + "crd.projectcalico.org/v1 skipped: only networking.k8s.io/v1 NetworkPolicy objects are read");
    }

    @Test
    void rejectsADocumentThatIsNotAnObject() {
        assertThatThrownBy(() -> read("just a string\n"))
                .hasMessage("test.yaml:1:1: expected a Kubernetes object (a mapping), found \"just a string\"");
    }

    @Test
    void rejectsABinaryFile() {
        assertThatThrownBy(() -> reader.read("x.gz", new byte[] {0x1f, (byte) 0x8b, 8, 0, (byte) 0xff}))
                .hasMessage("x.gz: not a YAML or JSON file (not UTF-8 text)");
    }

    /** U+FFFD is what a lenient decoder puts for bytes that are not UTF-8; written in the file, it is a character. */
    @Test
    void readsTheReplacementCharacterWrittenInTheFileButNotBytesThatAreNotUtf8() throws Exception {
        SnapshotFile objects = read("kind: Namespace\nmetadata:\n  name: a\n  annotations:\n    note: \"\uFFFD\"\n");

        assertThat(objects.snapshot().namespaces()).singleElement().extracting(Namespace::name).isEqualTo("a");
        byte[] latin1 = "kind: Namespace\nmetadata:\n  name: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> reader.read("x.yaml", latin1))
                .hasMessage("x.yaml: not a YAML or JSON file (not UTF-8 text)");
    }

    @Test
    void expandsYamlAliasesAsKubectlDoes() throws Exception {
        String yaml = """
                kind: List
                items:
                - kind: Pod
                  metadata: {name: a, labels: &common {app: shop, tier: web}}
                - kind: Pod
                  metadata: {name: b, labels: *common}
                """;

        assertThat(read(yaml).snapshot().pods().get(1).labels()).containsEntry("app", "shop").containsEntry("tier", "web");
    }

    @Test
    void appliesYamlMergeKeysWithWrittenKeysWinning() throws Exception {
        String yaml = """
                kind: List
                items:
                - kind: Pod
                  metadata: &base {name: a, namespace: shop}
                - kind: Pod
                  metadata:
                    <<: *base
                    name: b
                """;

        assertThat(read(yaml).snapshot().pods()).extracting(Pod::ref).containsExactly("shop/a", "shop/b");
    }

    @Test
    void rejectsAnAliasWithoutAnchor() {
        assertThatThrownBy(() -> read("kind: Pod\nmetadata: {name: a, labels: *nope}\n"))
                .hasMessage("test.yaml:2:29: alias *nope has no anchor &nope before it");
    }

    /** The 787-byte file that once took 6.4 GB and ended in OutOfMemoryError: nine levels of nine aliases. */
    private static String billionLaughs() {
        StringBuilder yaml = new StringBuilder("kind: Pod\nmetadata: {name: a}\nl0: &l0 [\"lol\"]\n");
        for (int level = 1; level <= 9; level++) {
            String previous = "*l" + (level - 1);
            yaml.append("l").append(level).append(": &l").append(level).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(9, previous))).append("]\n");
        }
        return yaml.toString();
    }

    @Test
    void rejectsAliasesThatExpandBeyondTheBoundWithOneLine() {
        assertThatThrownBy(() -> read(billionLaughs())).isInstanceOf(SnapshotException.class)
                .hasMessageMatching("test\\.yaml:\\d+:\\d+: aliases expand to more than 100000 values .*");
    }

    @Test
    void acceptsAliasesUpToTheBound() throws Exception {
        // four levels: 9^4 copies of "lol", some 15,700 values copied in all
        String yaml = billionLaughs().lines().limit(7).collect(java.util.stream.Collectors.joining("\n")) + "\n";

        assertThat(read(yaml).snapshot().pods()).hasSize(1);
    }

    @Test
    void rejectsAYamlLineLongerThanTheBoundBeforeParsingIt() {
        String yaml = "kind: Pod\nmetadata: {name: a, labels: {a: " + "x".repeat(SnapshotReader.MAX_YAML_LINE) + "}}\n";

        assertThatThrownBy(() -> read(yaml)).isInstanceOf(SnapshotException.class)
                .hasMessage("test.yaml:2: line of " + (SnapshotReader.MAX_YAML_LINE + 34) + " characters, over the "
                        + SnapshotReader.MAX_YAML_LINE + " a YAML snapshot may have (no field of a Kubernetes object is "
                        + "that long)");
    }

    @Test
    void readsAJsonFileOnOneLineWhateverItsLength() throws Exception {
        String json = "{\"kind\": \"Pod\", \"metadata\": {\"name\": \"a\", \"annotations\": {\"big\": \""
                + "x".repeat(SnapshotReader.MAX_YAML_LINE) + "\"}}}";

        assertThat(reader.read("c.json", json.getBytes(StandardCharsets.UTF_8)).snapshot().pods()).hasSize(1);
    }
}
