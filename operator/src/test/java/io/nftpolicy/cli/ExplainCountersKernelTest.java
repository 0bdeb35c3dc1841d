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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nftpolicy apply} on a lab node, one allowed and one denied connection, then {@code nftpolicy explain -o html
 * --node}: the audit report shows the kernel's counts next to the rules of the policy that allowed and of the one
 * that isolated.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class ExplainCountersKernelTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final String SNAPSHOT = """
            apiVersion: v1
            kind: Pod
            metadata: {name: client, namespace: dev, labels: {app: client}}
            spec: {nodeName: n1, containers: [{name: main}]}
            status: {phase: Running, podIP: 10.244.1.10}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: dev, labels: {app: web}}
            spec: {nodeName: n1, containers: [{name: main}]}
            status: {phase: Running, podIP: 10.244.1.12}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: db, namespace: dev, labels: {app: db}}
            spec: {nodeName: n1, containers: [{name: db, ports: [{containerPort: 80}]}]}
            status: {phase: Running, podIP: 10.244.1.11}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: db-from-client, namespace: dev}
            spec:
              podSelector: {matchLabels: {app: db}}
              policyTypes: [Ingress]
              ingress:
              - from: [{podSelector: {matchLabels: {app: client}}}]
                ports: [{port: 80}]
            """;
    /** One row of a policy's rule table, with its counts. */
    private static final Pattern ROW = Pattern.compile(
            "<tr><td>n1</td><td>([^<]*)</td><td>\\d+</td><td>([^<]*)</td><td class=\"count\">([^<]*)</td>");

    private Lab lab;
    private String nodeNetns;

    @BeforeAll
    void start() throws Exception {
        lab = Lab.start(List.of(new LabPod("dev/client", "n1", List.of("10.244.1.10"), List.of()),
                        new LabPod("dev/web", "n1", List.of("10.244.1.12"), List.of()),
                        new LabPod("dev/db", "n1", List.of("10.244.1.11"), List.of(TCP80))),
                LabOptions.defaults().withPrefix("auditctr").withProbeTimeout(Duration.ofMillis(300)));
        nodeNetns = lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + "n1");
    }

    @AfterAll
    void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void theReportShowsTheCountsOfTheAllowRuleAndOfTheIsolationDropNextToTheirPolicy(@TempDir Path tmp)
            throws Exception {
        Path input = tmp.resolve("cluster.yaml");
        Files.writeString(input, SNAPSHOT);
        Result applied = Cli.system().run("apply", "--input", input.toString(), "--node", "n1", "--netns", nodeNetns);
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        assertThat(lab.connects("dev/client", "dev/db", TCP80, IpFamily.IPV4)).isTrue();
        assertThat(lab.connects("dev/web", "dev/db", TCP80, IpFamily.IPV4)).isFalse();

        Result report = Cli.system().run("explain", "--input", input.toString(), "--all", "-p", "80", "-o", "html",
                "--node", "n1", "--netns", nodeNetns);

        assertThat(report.exitCode()).as(report.err()).isZero();
        assertThat(report.err()).doesNotContain("left out");
        assertThat(report.out()).contains("Counters: read from node n1 (table inet nftpolicy of network namespace "
                + nodeNetns + ") at ");
        String policy = report.out().substring(report.out().indexOf(">dev/db-from-client</h3>"));
        policy = policy.substring(0, policy.indexOf("</table>"));
        assertThat(packets(policy, " counter accept")).isPositive();
        assertThat(packets(policy, "@drops-ingress-v4")).isPositive();
        assertThat(packets(policy, "@drops-ingress-v6")).isZero();
    }

    /** The packets column of the first row of the table whose rule contains {@code statementPart}. */
    private static long packets(String table, String statementPart) {
        Matcher row = ROW.matcher(table);
        while (row.find()) {
            if (row.group(2).contains(statementPart)) {
                return Long.parseLong(row.group(3));
            }
        }
        throw new AssertionError("no row with " + statementPart + " in " + table);
    }
}
