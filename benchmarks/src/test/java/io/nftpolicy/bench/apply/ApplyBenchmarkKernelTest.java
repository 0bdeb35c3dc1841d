package io.nftpolicy.bench.apply;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.testing.KernelTest;
import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** bin/bench apply on a small cluster: it runs both figures and leaves no network namespace behind (needs root). */
@KernelTest
class ApplyBenchmarkKernelTest {

    @Test
    void measuresBothFiguresSideBySideAndRemovesItsNamespaces() {

        StringWriter out = new StringWriter();
        CommandLine command = new CommandLine(new ApplyBenchmark()).setOut(new PrintWriter(out));
        int exitCode = command.execute("--namespaces", "6", "--pods-per-namespace", "10",
                "--nodes", "2", "--policies-per-namespace", "4", "--changes", "4", "--rounds", "1");

        assertThat(exitCode).isZero();
        assertThat(out.toString()).contains("incremental: pod ns-0/measure-added added on node-1")
                .containsPattern("ratio applier / bare: \\d+\\.\\d\\dx")
                .contains("RulesetApplier, cold start split at 2000 operations", "RulesetApplier, one transaction",
                        "nft -f of the rendered text")
                .containsPattern("ratio to nft -f \\d+\\.\\d\\dx");
        String prefix = "nftpolicy-measure-" + ProcessHandle.current().pid() + "-";
        String[] left = Optional.ofNullable(new File("/var/run/netns").list()).orElse(new String[0]);
        assertThat(Arrays.stream(left).filter(n -> n.startsWith(prefix))).isEmpty();
    }
}
