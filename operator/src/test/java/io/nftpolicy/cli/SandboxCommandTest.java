package io.nftpolicy.cli;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import io.nftpolicy.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxCommandTest {
    @TempDir
    Path tmp;

    /** A host that is root and has exactly the programs named. */
    private static Host host(boolean root, String... programs) {
        Set<String> present = Set.of(programs);
        return new Host() {
            @Override
            public boolean isRoot() {
                return root;
            }

            @Override
            public Optional<Path> findProgram(String name) {
                return present.contains(name) ? Optional.of(Path.of("/usr/sbin", name)) : Optional.empty();
            }
        };
    }

    private static String sandboxInput() {
        return snapshot("sandbox.yaml").toString();
    }

    @Test
    void refusesToRunWithoutRootAndExitsTwo() {
        Result result = Cli.withHost(host(false, "nft", "ip")).run("sandbox", "--input", sandboxInput());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: sandbox must run as root").hasLineCount(1);
        assertThat(result.out()).isEmpty();
    }

    @Test
    void namesTheNftablesPackageWhenNftIsMissing() {
        Result result = Cli.withHost(host(true, "ip")).run("sandbox", "--input", sandboxInput());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: nft not found on PATH: install the nftables package "
                + "(apt-get install nftables, or bin/setup)\n");
    }

    @Test
    void namesTheIproute2PackageWhenIpIsMissing() {
        Result result = Cli.withHost(host(true, "nft")).run("sandbox", "--input", sandboxInput());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("ip not found on PATH: install the iproute2 package");
    }

    @Test
    void rejectsAMalformedPortsSpecAsAUsageError() {
        Result result = Cli.withHost(host(true, "nft", "ip")).run("sandbox", "-i", sandboxInput(), "--ports", "TCP/http");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: Invalid value for option '--ports' (PROTO/PORT): 'TCP/http': "
                + "port must be a number");
    }

    @Test
    void rejectsANonPositiveTimeoutAsAUsageError() {
        Result result = Cli.withHost(host(true, "nft", "ip")).run("sandbox", "-i", sandboxInput(), "--timeout-ms", "0");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: --timeout-ms must be positive, got 0\n");
    }

    @Test
    void aMalformedExpectationFileExitsTwoNamingItsLineBeforeBuildingAnything() throws Exception {
        Path expect = Files.writeString(tmp.resolve("expect.txt"), "# comment\nTCP/80 IPv4\n- a b\na . ? \n");

        Result result = Cli.withHost(host(true, "nft", "ip")).run("sandbox", "-i", sandboxInput(), "-e", expect.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: " + expect + ":4: cell '?'").hasLineCount(1);
    }

    @Test
    void aSnapshotWithoutRunnablePodsExitsTwo() throws Exception {
        Path file = Files.writeString(tmp.resolve("pending.yaml"), "kind: Pod\nmetadata: {name: a}\nstatus: {phase: Pending}\n");

        Result result = Cli.withHost(host(true, "nft", "ip")).run("sandbox", "-i", file.toString());

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("nftpolicy: note: not in the sandbox").contains("default/a")
                .contains("nftpolicy: error: no pod of the snapshot can take part in the sandbox");
    }

    // --- on the kernel: these need root, nft and ip, as CI has them

    @KernelTest
    @Test
    void measuresTheReachabilityThePoliciesAllowAndAgreesWithTheExpectation() {

        Result result = Cli.system().run("sandbox", "-i", sandboxInput(), "--ports", "UDP/53",
                "--expect", snapshot("sandbox.expected").toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("TCP/80 IPv4\n").contains("UDP/53 IPv4\n");
        assertThat(result.err()).contains("nftpolicy: note: all 18 cells of");
    }

    @KernelTest
    @Test
    void asJsonEachMeasuredCellIsAnObjectAndTheDifferencesAreListed() throws Exception {
        Path expect = Files.writeString(tmp.resolve("wrong.txt"), """
                TCP/80 IPv4
                -        x/client x/web x/other
                x/other  -        .     -
                """);

        Result result = Cli.system().run("sandbox", "-i", sandboxInput(), "--expect", expect.toString(), "-o", "json");

        assertThat(result.exitCode()).isEqualTo(1);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(result.out());
        assertThat(json.get("cells")).anySatisfy(cell -> assertThat(cell.toString()).isEqualTo(
                "{\"protocol\":\"TCP\",\"port\":80,\"family\":\"IPv4\",\"from\":\"x/other\",\"to\":\"x/web\","
                        + "\"connected\":false}"));
        assertThat(json.get("differences")).singleElement()
                .satisfies(d -> assertThat(d.asText()).isEqualTo("x/other -> x/web TCP/80 IPv4: expected ., got X"));
    }

    @KernelTest
    @Test
    void exitsOneListingTheCellsThatDifferFromTheExpectation() throws Exception {
        Path expect = Files.writeString(tmp.resolve("wrong.txt"), """
                TCP/80 IPv4
                -        x/client x/web x/other
                x/other  -        .     -
                """);

        Result result = Cli.system().run("sandbox", "-i", sandboxInput(), "--expect", expect.toString());

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).contains("1 cell differs from " + expect + ":\n"
                + "  x/other -> x/web TCP/80 IPv4: expected ., got X\n");
    }

    @KernelTest
    @Test
    void theReadmeDemoAgreesWithItsExpectedMatrices() {
        // The README's main command, run from the module directory as surefire does.
        Path demo = Path.of("..", "samples", "demo");

        Result result = Cli.system().run("sandbox", "--input", demo.resolve("cluster.yaml").toString(),
                "--expect", demo.resolve("expected.txt").toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        assertThat(result.err()).contains("nftpolicy: note: all 128 cells of");
    }
}
