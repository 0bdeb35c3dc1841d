package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/kubectl-nftpolicy with a stand-in kubectl on PATH that prints a sample cluster as {@code kubectl get -o json}
 * would, and the real nftpolicy (this build's classes) behind it: what it asks kubectl for, and that the commands
 * answer as they do on the sample's file.
 */
class KubectlPluginTest {
    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final String NO_CNP = "error: the server doesn't have a resource type \"clusternetworkpolicies\"";

    @TempDir
    Path tmp;

    private Path fakeBin;
    private Path kubectlCalls;

    record Run(int exitCode, String out, String err) {}

    @BeforeEach
    void nftpolicyFromThisBuild() throws IOException {
        fakeBin = Files.createDirectories(tmp.resolve("bin"));
        kubectlCalls = tmp.resolve("kubectl-calls.log");
        String java = ProcessHandle.current().info().command().orElse("java");
        Path nftpolicy = fakeBin.resolve("nftpolicy-from-build");
        script(nftpolicy, "exec '" + java + "' -XX:TieredStopAtLevel=1 -cp '" + System.getProperty("java.class.path")
                + "' io.nftpolicy.cli.Main \"$@\"\n");
    }

    /** A kubectl that prints {@code objects} for the core kinds and {@code clusterPolicies} (or an error) for CNPs. */
    private void kubectl(Path objects, String clusterPolicies) throws IOException {
        String cnp = clusterPolicies.startsWith("error:")
                ? "echo '" + clusterPolicies.replace("'", "'\\''") + "' >&2; exit 1"
                : "cat '" + clusterPolicies + "'";
        script(fakeBin.resolve("kubectl"), "echo \"$*\" >> '" + kubectlCalls + "'\n"
                + "case \"$*\" in\n"
                + "  *clusternetworkpolicies*) " + cnp + " ;;\n"
                + "  *) cat '" + objects + "' ;;\n"
                + "esac\n");
    }

    private Run plugin(String... args) throws Exception {
        return pluginWithPath(fakeBin + ":/usr/bin:/bin", args);
    }

    private Run pluginWithPath(String path, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(REPOSITORY.resolve("bin/kubectl-nftpolicy").toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(tmp.toFile());
        Map<String, String> env = builder.environment();
        env.put("PATH", path);
        env.put("NFTPOLICY_COMMAND", fakeBin.resolve("nftpolicy-from-build").toString());
        env.put("TMPDIR", Files.createDirectories(tmp.resolve("tmp")).toString());
        Path out = tmp.resolve("out");
        Path err = tmp.resolve("err");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Run nftpolicy(String... args) {
        Cli.Result result = Cli.system().run(args);
        return new Run(result.exitCode(), result.out(), result.err());
    }

    @Test
    void explainReadsTheClusterThroughKubectlAndAnswersAsOnTheDumpFile() throws Exception {
        Path demo = REPOSITORY.resolve("samples/demo/cluster.yaml");
        kubectl(asKubectlJson(demo, false), NO_CNP);

        Run run = plugin("explain", "--from", "dev/frontend", "--to", "dev/db", "-p", "6379", "--context", "prod");

        assertThat(run.err()).isEmpty();
        assertThat(run.exitCode()).isZero();
        assertThat(run).isEqualTo(nftpolicy("explain", "-i", demo.toString(), "--from", "dev/frontend", "--to",
                "dev/db", "-p", "6379"));
        assertThat(Files.readAllLines(kubectlCalls)).containsExactly(
                "--context prod get namespaces,pods,networkpolicies,nodes -A -o json",
                "--context prod get clusternetworkpolicies -o json");
        assertThat(tmp.resolve("tmp")).isEmptyDirectory();
    }

    @Test
    void clusterNetworkPoliciesComeFromTheirOwnKubectlGet() throws Exception {
        Path sample = REPOSITORY.resolve("samples/cluster-network-policy/cluster.yaml");
        kubectl(asKubectlJson(sample, false), asKubectlJson(sample, true).toString());

        Run run = plugin("explain", "--from", "y/b", "--to", "x/a", "-p", "80", "--brief");

        assertThat(run.exitCode()).as(run.err()).isEqualTo(1);
        assertThat(run.out()).contains("drop: ingress of x/a denied by Admin guard-x[10] ingress[1] Deny");
    }

    @Test
    void compileWritesTheNodesScript() throws Exception {
        Path demo = REPOSITORY.resolve("samples/demo/cluster.yaml");
        kubectl(asKubectlJson(demo, false), NO_CNP);

        Run run = plugin("compile", "--node", "node-1");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(nftpolicy("compile", "-i", demo.toString(), "--node", "node-1").out());
    }

    @Test
    void withoutKubectlItSaysSoAndExitsTwo() throws Exception {
        // The tools the script needs, and no kubectl (this machine may have one in /usr/bin).
        Path tools = Files.createDirectories(tmp.resolve("tools"));
        for (String tool : List.of("bash", "dirname", "readlink", "mktemp", "grep", "cat", "rm")) {
            Path real = Files.exists(Path.of("/usr/bin", tool)) ? Path.of("/usr/bin", tool) : Path.of("/bin", tool);
            script(tools.resolve(tool), "exec " + real + " \"$@\"\n");
        }

        Run run = pluginWithPath(tools + ":" + fakeBin, "explain", "--all", "-p", "80");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("kubectl-nftpolicy: error: kubectl not found on PATH: the plugin reads the "
                + "cluster through it (or give --input FILE)\n");
    }

    @Test
    void aKubectlFailureIsShownAndExitsTwo() throws Exception {
        script(fakeBin.resolve("kubectl"), "echo 'error: You must be logged in to the server (Unauthorized)' >&2\n"
                + "exit 1\n");

        Run run = plugin("compile", "--node", "node-1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).isEqualTo("error: You must be logged in to the server (Unauthorized)\n"
                + "kubectl-nftpolicy: error: kubectl get namespaces,pods,networkpolicies,nodes failed (its message "
                + "is above)\n");
    }

    @Test
    void anUnknownCommandIsRefused() throws Exception {
        Run run = plugin("apply", "--node", "node-1");

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).startsWith("kubectl-nftpolicy: error: unknown command 'apply'");
    }

    /** A sample's objects (or only its ClusterNetworkPolicies) as the {@code kind: List} kubectl prints. */
    private Path asKubectlJson(Path sample, boolean clusterPolicies) throws IOException {
        ObjectNode list = JsonNodeFactory.instance.objectNode().put("apiVersion", "v1").put("kind", "List");
        ArrayNode items = list.putArray("items");
        try (var documents = new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(sample.toFile())) {
            while (documents.hasNext()) {
                JsonNode object = documents.next();
                if (object != null && object.has("kind")
                        && object.get("kind").asText().equals("ClusterNetworkPolicy") == clusterPolicies) {
                    items.add(object);
                }
            }
        }
        Path file = tmp.resolve(sample.getParent().getFileName() + (clusterPolicies ? "-cnp" : "") + ".json");
        Files.writeString(file, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(list));
        return file;
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/sh\n" + body, StandardCharsets.UTF_8);
        assertThat(file.toFile().setExecutable(true)).isTrue();
    }
}
