package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ipBlocks whose excepts leave nothing of the cidr (the API server accepts several excepts covering it, and rejects
 * one except equal to it) once made compile and explain exit 3. Such a peer matches nothing; the policy with the
 * single equal except is reported and fails closed; the other policies compile.
 */
class IpBlockExceptCoveringCidrCliTest {
    @TempDir
    Path tmp;

    private final Cli cli = Cli.system();
    private Path input;

    @BeforeEach
    void writeCluster() throws Exception {
        input = Files.writeString(tmp.resolve("cluster.yaml"), """
                kind: Pod
                metadata: {name: client, namespace: x, labels: {app: client}}
                spec: {nodeName: node-a, containers: [{name: main}]}
                status: {phase: Running, podIP: 10.10.0.2}
                ---
                kind: Pod
                metadata: {name: web, namespace: x, labels: {app: web}}
                spec: {nodeName: node-a, containers: [{name: main}]}
                status: {phase: Running, podIP: 10.10.0.3}
                ---
                kind: Pod
                metadata: {name: db, namespace: x, labels: {app: db}}
                spec: {nodeName: node-a, containers: [{name: main}]}
                status: {phase: Running, podIPs: [{ip: 10.10.0.4}, {ip: "fd00::4"}]}
                ---
                kind: NetworkPolicy
                metadata: {name: web, namespace: x}
                spec:
                  podSelector: {matchLabels: {app: web}}
                  ingress:
                  - from:
                    - ipBlock: {cidr: 10.10.0.0/24, except: [10.10.0.0/25, 10.10.0.128/25]}
                    - ipBlock: {cidr: "fd00::/64", except: ["fd00::/65", "fd00::8000:0:0:0/65"]}
                    - podSelector: {matchLabels: {app: client}}
                ---
                kind: NetworkPolicy
                metadata: {name: db, namespace: x}
                spec:
                  podSelector: {matchLabels: {app: db}}
                  ingress:
                  - from:
                    - ipBlock: {cidr: 10.10.0.0/24, except: [10.10.0.0/24]}
                """);
    }

    private static final String WARNING = "nftpolicy: warning: NetworkPolicy x/db: spec.ingress[0].from[0].ipBlock"
            + ".except[0]: \"10.10.0.0/24\" is not strictly inside cidr 10.10.0.0/24 (policy not enforced; the pods "
            + "it selects stay isolated for ingress (fail closed))\n";

    @Test
    void compileExitsZeroWithOneWarningForThePolicyTheApiServerWouldReject() {
        Result result = cli.run("compile", "-i", input.toString(), "-n", "node-a");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).isEqualTo(WARNING);
        assertThat(result.out()).contains("table inet nftpolicy");
    }

    @Test
    void explainExitsZeroForTheAllowedPeerAndTheCoveredBlockMatchesNothing() {
        Result allowed = cli.run("explain", "-i", input.toString(), "--from", "x/client", "--to", "x/web", "--port",
                "80", "--brief");
        Result covered = cli.run("explain", "-i", input.toString(), "--from", "x/db", "--to", "x/web", "--port", "80",
                "--brief");
        Result failedClosed = cli.run("explain", "-i", input.toString(), "--from", "x/client", "--to", "x/db", "--port",
                "80", "--brief");

        assertThat(allowed.exitCode()).as(allowed.err()).isZero();
        assertThat(allowed.err()).isEqualTo(WARNING);
        assertThat(covered.exitCode()).as(covered.out()).isEqualTo(1);
        assertThat(failedClosed.exitCode()).as(failedClosed.out()).isEqualTo(1);
    }
}
