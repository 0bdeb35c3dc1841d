package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cli.Cli.Result;
import io.nftpolicy.deploy.Repository;
import org.junit.jupiter.api.Test;

/** {@code nftpolicy compile --pod-cidr}: the ruleset of fail-closed mode, as the agent's run --fail-closed has it. */
class CompileFailClosedTest {
    private static final String DEMO = Repository.path("samples/demo/cluster.yaml").toString();

    @Test
    void aPodCidrAddsTheKnownPodsAndTheDropsOfEveryOtherAddressOfIt() {
        Result result = Cli.system().run("compile", "--input", DEMO, "--node", "node-1", "--pod-cidr", "10.244.1.0/24");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("set local-pods-v4 {", "10.244.1.10 comment \"dev/db\"",
                "set pod-cidrs-v4 {", "10.244.1.0/24",
                "ip daddr @pod-cidrs-v4 ip daddr != @local-pods-v4 drop comment \"fail-closed:");
        assertThat(Cli.system().run("compile", "--input", DEMO, "--node", "node-1").out())
                .doesNotContain("pod-cidrs");
    }

    @Test
    void overlappingPodCidrsAreAUsageError() {
        Result result = Cli.system().run("compile", "--input", DEMO, "--node", "node-1",
                "--pod-cidr", "10.244.0.0/16", "--pod-cidr", "10.244.1.0/24");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).contains("--pod-cidr: pod CIDRs 10.244.0.0/16 and 10.244.1.0/24 of node node-1 overlap");
    }
}
