package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.compile.RuleCounters;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.NftRenderer;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {
    @TempDir
    Path tmp;

    private final Cli cli = Cli.system();

    @Test
    void compilingTheGeneratedFileGivesTheRulesetOfTheGeneratedCluster() throws Exception {
        Path file = tmp.resolve("cluster.yaml");

        Result generated = cli.run("generate", "--namespaces", "3", "--pods-per-namespace", "8", "--nodes", "2",
                "--policies-per-namespace", "6", "--seed", "9", "--output-file", file.toString());
        Result compiled = cli.run("compile", "--input", file.toString(), "--node", "node-1");

        assertThat(generated.exitCode()).isZero();
        assertThat(generated.out()).isEqualTo(file + ": 3 namespaces, 24 pods on 2 nodes, 18 policies (seed 9)\n");
        assertThat(compiled.err()).isEmpty();
        assertThat(compiled.out()).isEqualTo(NftRenderer.render(new RuleCounters().apply(new EstablishedFlows().apply(
                new PolicyCompiler().compile(ClusterGenerator.generate(new ClusterGenerator.Size(3, 8, 2, 6, 9L)),
                        "node-1").ruleset()))));
    }

    /** Over a mebibyte, so that the YAML is read in parts on several threads, and the JSON in one stream. */
    @Test
    void compilingTheGeneratedJsonGivesTheSameBytesAsCompilingTheGeneratedYaml() throws Exception {
        Path yaml = tmp.resolve("cluster.yaml");
        Path json = tmp.resolve("cluster.json");
        cli.run("generate", "--namespaces", "40", "--pods-per-namespace", "50", "--nodes", "4",
                "--policies-per-namespace", "5", "--output-file", yaml.toString());
        cli.run("generate", "--namespaces", "40", "--pods-per-namespace", "50", "--nodes", "4",
                "--policies-per-namespace", "5", "-o", "json", "--output-file", json.toString());
        assertThat(Files.size(yaml)).isGreaterThan(1 << 20);

        Result fromYaml = cli.run("compile", "--input", yaml.toString(), "--node", "node-1");
        Result fromJson = cli.run("compile", "--input", json.toString(), "--node", "node-1");

        assertThat(fromYaml.exitCode()).isZero();
        assertThat(fromJson.err()).isEmpty();
        assertThat(fromJson.out()).isEqualTo(fromYaml.out()).contains("ns-39");
    }

    @Test
    void writesToStandardOutputByDefaultAndTheSameSeedGivesTheSameBytes() throws Exception {
        Path file = tmp.resolve("cluster.yaml");
        cli.run("generate", "--namespaces", "2", "--pods-per-namespace", "3", "--output-file", file.toString());

        Result result = cli.run("generate", "--namespaces", "2", "--pods-per-namespace", "3");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo(Files.readString(file));
    }

    @Test
    void anUnusableSizeExitsTwoNamingTheOption() {
        Result result = cli.run("generate", "--pods-per-namespace", "-1");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: --pods-per-namespace: -1 is below 0\n");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void tooManyPodsForTheNodesExitsTwo() {
        Result result = cli.run("generate", "--namespaces", "1", "--pods-per-namespace", "16001", "--nodes", "1");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: more than 16000 pods on node-0: use more nodes\n");
    }
}
