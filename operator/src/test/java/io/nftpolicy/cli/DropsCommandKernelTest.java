package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nftpolicy apply} then {@code nftpolicy drops} on a lab node: denied connections to dev/db (namespace dev
 * annotated) come out as attributed JSON lines, and the connections are still dropped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class DropsCommandKernelTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);

    private Lab lab;
    private String nodeNetns;

    @BeforeAll
    void start() throws Exception {
        lab = Lab.start(List.of(new LabPod("dev/client", "n1", List.of("10.244.1.10"), List.of()),
                new LabPod("dev/db", "n1", List.of("10.244.1.11"), List.of(TCP80))),
                LabOptions.defaults().withPrefix("dropcli").withProbeTimeout(Duration.ofMillis(200)));
        nodeNetns = lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + "n1");
    }

    @AfterAll
    void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void dropsPrintsOneAttributedJsonLinePerDeniedConnection(@TempDir Path tmp) throws Exception {
        Path input = tmp.resolve("cluster.yaml");
        Files.writeString(input, DropsCommandTest.snapshot(true));
        Result applied = Cli.system().run("apply", "--input", input.toString(), "--node", "n1", "--netns", nodeNetns);
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        Result verified = Cli.system().run("verify", "--input", input.toString(), "--node", "n1", "--netns", nodeNetns);
        assertThat(verified.exitCode()).as(verified.out() + verified.err()).isZero();

        CompletableFuture<Result> drops = CompletableFuture.supplyAsync(() -> Cli.system().run("drops", "--node", "n1",
                "--input", input.toString(), "--netns", nodeNetns, "--count", "2", "-o", "json"));
        boolean anyConnected = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        // Until drops has bound the group, attempts go unlogged: keep trying, each attempt a new connection.
        while (!drops.isDone() && System.nanoTime() < deadline) {
            anyConnected |= lab.connects("dev/client", "dev/db", TCP80, IpFamily.IPV4);
            Thread.sleep(300);
        }
        Result result = drops.get(5, TimeUnit.SECONDS);

        assertThat(anyConnected).isFalse();
        assertThat(result.exitCode()).as(result.err()).isZero();
        List<String> lines = result.out().lines().filter(l -> l.contains("\"direction\"")).toList();
        assertThat(lines).hasSize(2).allSatisfy(line -> assertThat(line)
                .contains("\"node\":\"n1\",\"verdict\":\"drop\",\"direction\":\"ingress\"")
                .contains("\"source\":{\"ip\":\"10.244.1.10\",\"pod\":\"dev/client\"}")
                .contains("\"destination\":{\"ip\":\"10.244.1.11\",\"pod\":\"dev/db\"},\"protocol\":\"TCP\",\"port\":80")
                .contains("\"isolatedBy\":[\"dev/db-lockdown\"]"));
    }
}
