package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.cli.Cli.Result;
import io.nftpolicy.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kubectl's habits: {@code -o/--output} is the format on every command that prints, files are written with
 * {@code --output-file}, and JSON (and YAML) honour {@code --brief}.
 */
class OutputFormatTest {
    private static final String DEMO = Path.of("..", "samples", "demo", "cluster.yaml").toString();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Cli cli = Cli.system();

    @TempDir
    Path tmp;

    @Test
    void compileRefusesJsonSayingWhereNftsJsonComesFrom() {
        Result result = cli.run("compile", "-i", DEMO, "-n", "node-1", "-o", "json");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).startsWith("nftpolicy: error: --output is the format of what compile prints: text, "
                + "got 'json' (the script is nft's own language; nft's JSON of the same table is 'nft -j list table "
                + "inet nftpolicy' after 'nftpolicy apply'");
    }

    @Test
    void aFileNameAfterDashOIsRefusedPointingToOutputFile() {
        Path file = tmp.resolve("node-1.nft");

        Result result = cli.run("compile", "-i", DEMO, "-n", "node-1", "-o", file.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("(to write a file, give --output-file " + file
                + " or redirect standard output)");
        assertThat(file).doesNotExist();
    }

    @Test
    void versionHasHelp() {
        Result result = cli.run("version", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("Usage: nftpolicy version").contains("--output=FORMAT");
    }

    @Test
    void versionAsJsonAndYamlIsOneField() throws Exception {
        Result json = cli.run("version", "-o", "json");
        Result yaml = cli.run("version", "--output", "yaml");
        Result text = cli.run("version");

        JsonNode version = JSON.readTree(json.out());
        assertThat(version.size()).isEqualTo(1);
        assertThat(text.out()).isEqualTo("nftpolicy " + version.get("version").asText() + "\n");
        assertThat(new YAMLMapper().readTree(yaml.out())).isEqualTo(version);
    }

    @Test
    void generateAsJsonIsTheSameClusterAsYaml() throws Exception {
        Path yaml = tmp.resolve("cluster.yaml");
        Path json = tmp.resolve("cluster.json");
        cli.run("generate", "--namespaces", "2", "--pods-per-namespace", "4", "--output-file", yaml.toString());
        Result generated = cli.run("generate", "--namespaces", "2", "--pods-per-namespace", "4", "-o", "json",
                "--output-file", json.toString());

        assertThat(generated.exitCode()).isZero();
        assertThat(Files.readString(json)).startsWith("{");
        assertThat(cli.run("compile", "-i", json.toString(), "-n", "node-0").out())
                .isEqualTo(cli.run("compile", "-i", yaml.toString(), "-n", "node-0").out())
                .contains("table inet nftpolicy");
    }

    @Test
    void explainAsYamlIsTheSameDocumentAsJson() throws Exception {
        Result json = cli.run("explain", "-i", DEMO, "--from", "dev/frontend", "--to", "dev/db", "-p", "6379",
                "-o", "json");
        Result yaml = cli.run("explain", "-i", DEMO, "--from", "dev/frontend", "--to", "dev/db", "-p", "6379",
                "-o", "yaml");

        assertThat(yaml.exitCode()).isZero();
        assertThat(yaml.out()).startsWith("connections:\n");
        assertThat(new YAMLMapper().readTree(yaml.out())).isEqualTo(JSON.readTree(json.out()));
    }

    @Test
    void explainBriefInJsonLeavesTheTracesOut() throws Exception {
        Result full = cli.run("explain", "-i", DEMO, "--from", "dev/frontend", "--to", "dev/db", "-p", "6379",
                "-o", "json");
        Result brief = cli.run("explain", "-i", DEMO, "--from", "dev/frontend", "--to", "dev/db", "-p", "6379",
                "-o", "json", "--brief");

        JsonNode fullHop = JSON.readTree(full.out()).get("connections").get(0).get("hops").get(0);
        JsonNode briefHop = JSON.readTree(brief.out()).get("connections").get(0).get("hops").get(0);
        assertThat(fullHop.has("trace")).isTrue();
        assertThat(briefHop.has("trace")).isFalse();
        assertThat(briefHop.get("summary")).isEqualTo(fullHop.get("summary"));
    }

    @Test
    void explainWritesItsOutputFileAndPrintsNothing() throws Exception {
        Path file = tmp.resolve("matrix.txt");

        Result result = cli.run("explain", "-i", DEMO, "--all", "-p", "5978", "--output-file", file.toString());

        assertThat(result.out()).isEmpty();
        assertThat(Files.readString(file)).isEqualTo(cli.run("explain", "-i", DEMO, "--all", "-p", "5978").out());
    }

    @Test
    void htmlOfOneConnectionIsRefused() {
        Result result = cli.run("explain", "-i", DEMO, "--from", "dev/frontend", "--to", "dev/db", "-p", "6379",
                "-o", "html");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: -o html is the audit report of a matrix: give --all or "
                + "--namespace");
    }

    @Test
    void theReportOfSomeNamespacesListsTheirPoliciesOnly() {
        String all = cli.run("explain", "-i", DEMO, "--all", "-p", "6379", "-o", "html").out();
        String legacy = cli.run("explain", "-i", DEMO, "--namespace", "legacy", "-p", "6379", "-o", "html").out();

        assertThat(all).contains("<h3 id=\"p-0\">dev/test-network-policy</h3>");
        assertThat(legacy).startsWith("<!DOCTYPE html>").contains("<h2>TCP/6379 IPv4</h2>")
                .doesNotContain("<h3 id=\"p-0\">");
    }

    @KernelTest
    @Test
    void applyAndVerifyPrintJsonAndBriefKeepsItShort() throws Exception {
        try (NetworkNamespace ns = NetworkNamespace.create("audit-out")) {
            Result applied = cli.run("apply", "-i", DEMO, "-n", "node-1", "--netns", ns.name(), "-o", "json");
            Result again = cli.run("apply", "-i", DEMO, "-n", "node-1", "--netns", ns.name(), "-o", "json",
                    "--brief");
            Result inSync = cli.run("verify", "-i", DEMO, "-n", "node-1", "--netns", ns.name(), "-o", "json");

            JsonNode first = JSON.readTree(applied.out());
            assertThat(first.get("kind").asText()).isEqualTo("full");
            assertThat(first.get("node").asText()).isEqualTo("node-1");
            assertThat(first.get("chains").get("added").asInt()).isPositive();
            JsonNode brief = JSON.readTree(again.out());
            assertThat(brief.get("kind").asText()).isEqualTo("no-op");
            assertThat(brief.get("operations").asInt()).isZero();
            assertThat(brief.get("generation")).isEqualTo(first.get("generation"));
            assertThat(brief.has("chains")).isFalse();
            JsonNode verified = JSON.readTree(inSync.out());
            assertThat(inSync.exitCode()).isZero();
            assertThat(verified.get("inSync").asBoolean()).isTrue();
            assertThat(verified.get("differenceCount").asInt()).isZero();
            assertThat(verified.get("differences")).isEmpty();
        }
    }

    @KernelTest
    @Test
    void verifyJsonListsTheDifferencesUnlessBrief() throws Exception {
        Path relabelled = Files.writeString(tmp.resolve("relabelled.yaml"), Files.readString(Path.of(DEMO))
                .replace("{name: backend, namespace: dev, labels: {role: backend}}",
                        "{name: backend, namespace: dev, labels: {role: frontend}}"));
        try (NetworkNamespace ns = NetworkNamespace.create("audit-out")) {
            cli.run("apply", "-i", DEMO, "-n", "node-1", "--netns", ns.name());
            Result full = cli.run("verify", "-i", relabelled.toString(), "-n", "node-1", "--netns", ns.name(),
                    "-o", "json");
            Result brief = cli.run("verify", "-i", relabelled.toString(), "-n", "node-1", "--netns", ns.name(),
                    "-o", "json", "--brief");
            Result briefText = cli.run("verify", "-i", relabelled.toString(), "-n", "node-1", "--netns", ns.name(),
                    "--brief");

            assertThat(full.exitCode()).isEqualTo(1);
            JsonNode differs = JSON.readTree(full.out());
            assertThat(differs.get("inSync").asBoolean()).isFalse();
            assertThat(differs.get("differences")).hasSize(differs.get("differenceCount").asInt());
            assertThat(differs.get("differences").get(0).asText()).contains("10.244.2.12");
            JsonNode short_ = JSON.readTree(brief.out());
            assertThat(short_.get("differenceCount")).isEqualTo(differs.get("differenceCount"));
            assertThat(short_.has("differences")).isFalse();
            assertThat(briefText.out()).isEqualTo("differs: " + differs.get("differenceCount").asInt()
                    + (differs.get("differenceCount").asInt() == 1 ? " difference\n" : " differences\n"));
        }
    }

    @Test
    void statsRefusesHtmlBeforeLookingForTheKernel() {
        Result result = cli.run("stats", "-i", DEMO, "-n", "node-1", "-o", "html");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--output is the format of what stats prints: text, json, yaml, got 'html'");
    }

    @KernelTest
    @Test
    void statsWritesYamlToTheOutputFile() throws Exception {
        Path file = tmp.resolve("counters.yaml");
        try (NetworkNamespace ns = NetworkNamespace.create("mergeaudit-stats")) {
            cli.run("apply", "-i", DEMO, "-n", "node-1", "--netns", ns.name());
            Result result = cli.run("stats", "-i", DEMO, "-n", "node-1", "--netns", ns.name(), "-o", "yaml",
                    "--output-file", file.toString());

            assertThat(result.exitCode()).isZero();
            assertThat(result.out()).isEmpty();
            JsonNode counters = new YAMLMapper().readTree(file.toFile());
            assertThat(counters.get("node").asText()).isEqualTo("node-1");
            assertThat(counters.get("rules")).isNotEmpty();
        }
    }
}
