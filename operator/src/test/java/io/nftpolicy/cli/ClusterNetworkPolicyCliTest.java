package io.nftpolicy.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nftpolicy.cli.Cli.Result;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** compile and explain on samples/cluster-network-policy: NetworkPolicy and both tiers of ClusterNetworkPolicy. */
class ClusterNetworkPolicyCliTest {
    private static final String CLUSTER = Path.of("..", "samples", "cluster-network-policy", "cluster.yaml").toString();

    private final Cli cli = Cli.system();

    @Test
    void explainNamesTierPolicyPriorityAndRuleOfAnAdminDeny() {
        Result result = cli.run("explain", "-i", CLUSTER, "--from", "y/b", "--to", "x/a", "-p", "80", "--brief");

        assertThat(result.exitCode()).as(result.err()).isEqualTo(1);
        assertThat(result.out()).contains("drop: ingress of x/a denied by Admin guard-x[10] ingress[1] Deny, "
                + "before NetworkPolicy");
    }

    @Test
    void anAdminAcceptComesBeforeTheAdminDenyAfterIt() {
        Result result = cli.run("explain", "-i", CLUSTER, "--from", "y/a", "--to", "x/b", "-p", "80", "--brief");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("ingress of x/b allowed by Admin guard-x[10] ingress[0] Accept");
    }

    @Test
    void theBaselineTierDecidesForPodsNetworkPolicyDoesNotIsolate() {
        Result passed = cli.run("explain", "-i", CLUSTER, "--from", "x/a", "--to", "y/b", "-p", "80", "--brief");
        Result denied = cli.run("explain", "-i", CLUSTER, "--from", "y/a", "--to", "y/b", "-p", "80", "--brief");

        assertThat(passed.exitCode()).as(passed.out()).isZero();
        assertThat(passed.out()).contains("ingress of y/b allowed by Baseline default-same-namespace[50] ingress[0] "
                + "Pass");
        assertThat(denied.exitCode()).as(denied.out()).isEqualTo(1);
        assertThat(denied.out()).contains("drop: ingress of y/b denied by Baseline default-same-namespace[50] "
                + "ingress[1] Deny");
    }

    @Test
    void compilePrintsTierChainsWithProvenance() {
        Result result = cli.run("compile", "-i", CLUSTER, "--node", "node-1");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out())
                .contains("comment \"cnp/guard-x ingress[1] (Deny) Admin[10]\"")
                .contains("goto cnp-ing-next")
                .contains(": jump ing-")
                .contains("jump cnp-deny")
                .contains("192.168.0.2 comment \"node node-2\"");
    }

    @Test
    void theSandboxEnforcesBothTiersAsTheExpectedMatrixSays() {
        Host system = Host.system();
        assumeTrue(system.isRoot() && system.findProgram("nft").isPresent() && system.findProgram("ip").isPresent(),
                "needs root, nft and ip");
        Path expected = Path.of("..", "samples", "cluster-network-policy", "expected.txt");

        Result result = cli.run("sandbox", "-i", CLUSTER, "--expect", expected.toString());

        assertThat(result.exitCode()).as(result.out() + result.err()).isZero();
        assertThat(result.err()).contains("nftpolicy: note: all 16 cells of");
    }
}
