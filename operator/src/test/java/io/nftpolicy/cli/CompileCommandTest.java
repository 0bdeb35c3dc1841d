package io.nftpolicy.cli;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompileCommandTest {
    @TempDir
    Path tmp;

    private final Cli cli = Cli.system();

    private static void assertNoStackTrace(Result result) {
        assertThat(result.err()).doesNotContain("Exception").doesNotContain("at io.").doesNotContain("at java.");
    }

    @Test
    void aYamlSyntaxErrorExitsTwoWithOneLineNamingFileLineAndColumn() {
        Path file = snapshot("syntax-error.yaml");

        Result result = cli.run("compile", "--input", file.toString(), "--node", "node-a");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: " + file + ":10:17: mapping values are not allowed here\n");
        assertThat(result.out()).isEmpty();
        assertNoStackTrace(result);
    }

    @Test
    void aMissingInputFileExitsTwo() {
        Path missing = tmp.resolve("nope.yaml");

        Result result = cli.run("compile", "--input", missing.toString(), "--node", "node-a");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: " + missing + ": no such file\n");
        assertNoStackTrace(result);
    }

    @Test
    void aMissingNodeIsAUsageErrorExitingTwo() {
        Result result = cli.run("compile", "--input", snapshot("tiny.yaml").toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: Missing required option: '--node=NODE'\n")
                .contains("nftpolicy compile --help");
    }

    @Test
    void anUnknownOptionIsAUsageErrorExitingTwo() {
        Result result = cli.run("compile", "--input", "x.yaml", "--node", "n", "--frobnicate");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: Unknown option: '--frobnicate'");
    }

    @Test
    void writesTheNodesRulesetToStandardOutput() {
        Result result = cli.run("compile", "--input", snapshot("tiny.yaml").toString(), "--node", "node-a");

        assertThat(result.err()).isEmpty();
        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("table inet nftpolicy");
    }

    @Test
    void theRulesetIsTheSameOnEveryRun() {
        String[] args = {"compile", "--input", snapshot("kubectl-list.yaml").toString(), "--node", "node-b"};

        Result first = cli.run(args);
        Result second = cli.run(args);

        assertThat(first.exitCode()).isZero();
        assertThat(first.out()).contains("table inet nftpolicy").isEqualTo(second.out());
    }

    @Test
    void writesTheRulesetToTheOutputFileWhenGiven() throws Exception {
        Path output = tmp.resolve("node-a.nft");

        Result result = cli.run("compile", "-i", snapshot("tiny.yaml").toString(), "-n", "node-a", "--output-file", output.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEmpty();
        assertThat(Files.readString(output)).contains("table inet nftpolicy");
    }

    @Test
    void readsTheSnapshotFromStandardInputGivenAsDash() throws Exception {
        Result result = Cli.withStdin(Files.readString(snapshot("tiny.yaml"))).run("compile", "-i", "-", "-n", "node-a");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("table inet nftpolicy");
    }

    @Test
    void problemsWithObjectsAreWarningsAndDoNotFailTheCommand() throws Exception {
        Path file = Files.writeString(tmp.resolve("warn.yaml"), """
                kind: Pod
                metadata: {name: a, namespace: x}
                spec:
                  nodeName: node-a
                  containers:
                  - name: main
                    ports:
                    - {containerPort: 7, protocol: ICMP}
                status: {phase: Running, podIP: 10.0.0.1}
                """);

        Result result = cli.run("compile", "--input", file.toString(), "--node", "node-a");

        assertThat(result.exitCode()).isZero();
        assertThat(result.err()).isEqualTo("nftpolicy: warning: Pod x/a: spec.containers[0].ports[0].protocol: "
                + "\"ICMP\" is not TCP, UDP or SCTP (port ignored)\n");
    }

    @Test
    void warnsWhenNoPodRunsOnTheNode() {
        Result result = cli.run("compile", "--input", snapshot("tiny.yaml").toString(), "--node", "node-z");

        assertThat(result.exitCode()).isZero();
        assertThat(result.err()).isEqualTo(
                "nftpolicy: warning: no pod of the snapshot runs on node node-z (its nodes: node-a)\n");
    }

    @Test
    void anUnwritableOutputExitsTwo() {
        Path output = tmp.resolve("no-such-dir").resolve("out.nft");

        Result result = cli.run("compile", "-i", snapshot("tiny.yaml").toString(), "-n", "node-a", "--output-file", output.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: cannot write " + output + ": no such file or directory\n");
    }

    @Test
    void aYamlAliasBombExitsTwoWithOneLineInsteadOfExhaustingMemory() throws Exception {
        StringBuilder yaml = new StringBuilder("kind: Pod\nmetadata: {name: a}\nl0: &l0 [lol]\n");
        for (int level = 1; level <= 9; level++) {
            yaml.append("l").append(level).append(": &l").append(level).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(9, "*l" + (level - 1)))).append("]\n");
        }
        Path file = Files.writeString(tmp.resolve("laughs.yaml"), yaml);

        Result result = cli.run("compile", "--input", file.toString(), "--node", "node-a");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).matches("nftpolicy: error: " + java.util.regex.Pattern.quote(file.toString())
                + ":8:\\d+: aliases expand to more than 100000 values \\(nested aliases multiply; kubectl writes none\\)\n");
        assertNoStackTrace(result);
    }

    @Test
    void deeplyNestedYamlExitsTwoWithOneLine() throws Exception {
        Path file = Files.writeString(tmp.resolve("deep.yaml"), "kind: Pod\nmetadata: {name: a}\nx: "
                + "[".repeat(100_000) + "]".repeat(100_000) + "\n");

        Result result = cli.run("compile", "--input", file.toString(), "--node", "node-a");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: " + file + ":3:203: values nested deeper than 200 levels\n");
        assertNoStackTrace(result);
    }

    @Test
    void aYamlLineOverTheBoundExitsTwoWithOneLine() throws Exception {
        Path file = Files.writeString(tmp.resolve("long.yaml"), "kind: Pod\nmetadata: {name: a}\nx: "
                + "y".repeat(10_000_000) + "\n");

        Result result = cli.run("compile", "--input", file.toString(), "--node", "node-a");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: " + file + ":3: line of 10000003 characters, over the "
                + "1048576 a YAML snapshot may have (no field of a Kubernetes object is that long)\n");
    }

    @Test
    void badPodDataIsOneWarningEachAndThePolicyThatSelectsByABadLabelFailsClosed() throws Exception {
        Path file = Files.writeString(tmp.resolve("bad-pod.yaml"), """
                kind: Pod
                metadata: {name: web, namespace: x, labels: {app: "w\\0eb"}}
                spec:
                  nodeName: node-a
                  containers:
                  - name: main
                    ports: [{containerPort: 70000, name: http}]
                status: {phase: Running, podIP: 10.0.0.3}
                ---
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {matchLabels: {app: "w\\0eb"}}
                  ingress: [{ports: [{port: http}]}]
                """);

        Result result = cli.run("compile", "--input", file.toString(), "--node", "node-a");

        assertThat(result.exitCode()).isZero();
        assertThat(result.err().lines()).containsExactly(
                "nftpolicy: warning: Pod x/web: spec.containers[0].ports[0].containerPort: port 70000 is outside "
                        + "1-65535 (port ignored)",
                "nftpolicy: warning: Pod x/web: metadata.labels: label value \"w\\u0000eb\" must be empty or at most 63 "
                        + "characters: letters, digits, '-', '_' and '.', starting and ending with a letter or digit "
                        + "(label ignored)",
                "nftpolicy: warning: NetworkPolicy x/web: spec.podSelector.matchLabels: label value \"w\\u0000eb\" must "
                        + "be empty or at most 63 characters: letters, digits, '-', '_' and '.', starting and ending with "
                        + "a letter or digit (policy not enforced; every pod of namespace x stay isolated for ingress "
                        + "(fail closed))");
        assertNoStackTrace(result);
    }

    @Test
    void aPolicyPortBeyondTheIntegersExitsTwoWithOneLineNamingTheField() throws Exception {
        Path file = Files.writeString(tmp.resolve("big-port.yaml"), """
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {}
                  ingress: [{ports: [{port: 4294967297}]}]
                """);

        Result result = cli.run("compile", "--input", file.toString(), "--node", "node-a");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: " + file + ":5:29: NetworkPolicy x/web: "
                + "spec.ingress[0].ports[0].port: number 4294967297 is out of range (a port is 1-65535)\n");
    }
}
