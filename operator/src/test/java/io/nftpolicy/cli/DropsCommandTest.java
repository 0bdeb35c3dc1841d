package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Drop logs on the command line: the rules compile writes, and drops' usage errors. */
class DropsCommandTest {
    /** dev/db isolated for ingress, nothing allowed; namespace dev annotated unless told. */
    static String snapshot(boolean annotated) {
        return """
                apiVersion: v1
                kind: Namespace
                metadata:
                  name: dev
                """ + (annotated ? "  annotations: {nftpolicy.io/log-drops: \"true\"}\n" : "") + """
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: client, namespace: dev, labels: {app: client}}
                spec: {nodeName: n1, containers: [{name: main}]}
                status: {phase: Running, podIP: 10.244.1.10}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: db, namespace: dev, labels: {app: db}}
                spec: {nodeName: n1, containers: [{name: db, ports: [{containerPort: 80, name: http}]}]}
                status: {phase: Running, podIP: 10.244.1.11}
                ---
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: db-lockdown, namespace: dev}
                spec:
                  podSelector: {matchLabels: {app: db}}
                  policyTypes: [Ingress]
                """;
    }

    @TempDir
    Path tmp;

    private Path write(String yaml) throws IOException {
        Path file = tmp.resolve("cluster.yaml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void compileLogsTheDropsOfAnAnnotatedNamespace() throws IOException {
        Result result = Cli.system().run("compile", "--input", write(snapshot(true)).toString(), "--node", "n1");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).containsPattern("ct state new jump log-ing-[0-9a-f]{8}")
                .containsPattern("log prefix \"nftpolicy drop ing-[0-9a-f]{8}\" group 100 return");
    }

    @Test
    void compileLogsNothingForANamespaceNotAnnotated() throws IOException {
        Result result = Cli.system().run("compile", "--input", write(snapshot(false)).toString(), "--node", "n1");

        assertThat(result.out()).doesNotContain("log prefix").doesNotContain("jump log-");
    }

    @Test
    void logDropsLogsEveryNamespaceToTheGroupAndRateGiven() throws IOException {
        Result result = Cli.system().run("compile", "--input", write(snapshot(false)).toString(), "--node", "n1",
                "--log-drops", "--drop-log-group", "7", "--drop-log-rate", "20");

        assertThat(result.out()).contains("limit rate 20/second burst 10 packets log prefix").contains(" group 7 return");
    }

    @Test
    void anOutOfRangeGroupIsAUsageErrorNamingTheOption() throws IOException {
        Result result = Cli.system().run("compile", "--input", write(snapshot(true)).toString(), "--node", "n1",
                "--drop-log-group", "70000");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--drop-log-group").contains("70000");
    }

    @Test
    void dropsRefusesAnUnknownFormat() {
        Result result = Cli.system().run("drops", "--node", "n1", "-o", "yaml");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--output is the format of what drops prints: text, json, got 'yaml'");
    }

    @Test
    void dropsNeedsRoot() {
        Host user = new Host() {
            @Override
            public boolean isRoot() {
                return false;
            }

            @Override
            public Optional<Path> findProgram(String name) {
                return Optional.empty();
            }
        };

        Result result = Cli.withHost(user).run("drops", "--node", "n1");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("drops must run as root");
    }
}
