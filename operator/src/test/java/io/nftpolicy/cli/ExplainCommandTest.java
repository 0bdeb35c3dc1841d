package io.nftpolicy.cli;

import static io.nftpolicy.testing.Fixtures.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nftpolicy.cli.Cli.Result;
import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.testing.KernelTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nftpolicy explain on the README's demo cluster (samples/demo), whose matrices the kernel also produces. */
class ExplainCommandTest {
    private static final Path DEMO = Path.of("..", "samples", "demo");
    private static final String CLUSTER = DEMO.resolve("cluster.yaml").toString();
    private static final String INGRESS_CHAIN = "ing-e2d199a7-dev_test-network-policy";

    @TempDir
    Path tmp;

    private final Cli cli = Cli.system();

    private Result explain(String... args) {
        List<String> all = new ArrayList<>(List.of("explain", "-i", CLUSTER));
        all.addAll(List.of(args));
        return cli.run(all.toArray(String[]::new));
    }

    private static JsonNode json(Result result) throws Exception {
        return new ObjectMapper().readTree(result.out());
    }

    @Test
    void anAllowedConnectionNamesThePolicyPeerThatAllowedItAndExitsZero() {
        Result result = explain("--from", "dev/frontend", "--to", "dev/db", "--port", "6379", "--brief");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo("""
                dev/frontend -> dev/db TCP/6379 IPv4: allowed
                  from dev/frontend (10.244.1.11 on node-1)
                  to   dev/db (10.244.1.10 on node-1)
                  1. node-1 (node of both ends), hook forward: accept: ingress of dev/db allowed by \
                dev/test-network-policy ingress[0].from[2]
                """);
    }

    /** The demo cluster with a staged policy isolating dev/frontend for ingress. */
    private String withStagedDenyOfFrontend() throws Exception {
        Path file = tmp.resolve("staged.yaml");
        Files.writeString(file, Files.readString(Path.of(CLUSTER)) + """
                - apiVersion: networking.k8s.io/v1
                  kind: NetworkPolicy
                  metadata:
                    name: deny-frontend
                    namespace: dev
                    annotations: {nftpolicy.io/staged: "true"}
                  spec:
                    podSelector: {matchLabels: {role: frontend}}
                    policyTypes: [Ingress]
                """);
        return file.toString();
    }

    @Test
    void aStagedPolicyIsShownApartAndChangesNoVerdict() throws Exception {
        Result result = cli.run("explain", "-i", withStagedDenyOfFrontend(), "--from", "dev/backend", "--to",
                "dev/frontend", "--port", "6379", "--brief");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).startsWith("dev/backend -> dev/frontend TCP/6379 IPv4: allowed\n")
                .containsPattern("\n  staged dev/deny-frontend would deny ingress of dev/frontend: isolated by "
                        + "dev/deny-frontend, and no rule of chain stg-ing-[0-9a-f]+-dev_deny-frontend allows the "
                        + "packet \\(on node-1\\)\n");
    }

    @Test
    void aStagedResultInJsonIsAWouldDropOfItsPolicy() throws Exception {
        Result result = cli.run("explain", "-i", withStagedDenyOfFrontend(), "--from", "dev/backend", "--to",
                "dev/frontend", "--port", "6379", "--output", "json");

        JsonNode hop = json(result).path("connections").path(0).path("hops").path(1);
        assertThat(hop.path("verdict").asText()).isEqualTo("accept");
        assertThat(hop.path("staged").path(0).path("verdict").asText()).isEqualTo("would-drop");
        assertThat(hop.path("staged").path(0).path("policies").path(0).asText()).isEqualTo("dev/deny-frontend");
    }

    @Test
    void aConnectionBetweenNodesShowsBothTablesAndTheIsolatingPolicyAndExitsOne() {
        Result result = explain("--from", "dev/backend", "--to", "dev/db", "--port", "6379", "--brief");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).isEqualTo("""
                dev/backend -> dev/db TCP/6379 IPv4: denied
                  from dev/backend (10.244.2.12 on node-2)
                  to   dev/db (10.244.1.10 on node-1)
                  1. node-2 (source's node), hook forward: accept: no chain applies to this packet here; the base \
                chain's policy accepts
                  2. node-1 (destination's node), hook forward: drop: dev/db is isolated for ingress by \
                dev/test-network-policy, and no rule of its chain %s allows the packet (end of chain, rule 5)
                """.formatted(INGRESS_CHAIN));
    }

    @Test
    void theTraceListsEveryRuleOfEveryTableWithWhyItDidNotMatch() {
        Result result = explain("--from", "dev/backend", "--to", "dev/db", "--port", "6379");

        assertThat(result.out())
                .contains("\n  trace on node-2 (source's node), hook forward, 10.244.2.12 -> 10.244.1.10 tcp dport 6379\n"
                        + "    chain filter-forward ")
                .contains("\n  trace on node-1 (destination's node), hook forward, 10.244.2.12 -> 10.244.1.10 tcp dport 6379\n")
                .contains("         -> jump " + INGRESS_CHAIN + "\n"
                        + "         chain " + INGRESS_CHAIN + " \"ingress of pods selected by dev/test-network-policy\"\n")
                .contains("comment \"dev/test-network-policy ingress[0].from[0]\"\n"
                        + "              no match: 10.244.2.12 is not in block-")
                .contains("comment \"dev/test-network-policy ingress[0].from[2]\"\n"
                        + "              no match: 10.244.2.12 is not in peer-")
                .contains("           4  " + EstablishedFlows.RESET
                        + " comment \"judged again and denied: reset\"\n")
                .endsWith("           5  " + EstablishedFlows.DROP
                        + " comment \"isolated for ingress by dev/test-network-policy\"\n"
                        + "              match: the rule has no condition\n"
                        + "              -> drop\n");
    }

    @Test
    void anEgressDenialIsDecidedOnTheSourcesNodeAndThePacketGoesNoFurther() {
        Result result = explain("--from", "dev/db", "--to", "dev/backend", "--port", "5978", "--brief");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).contains("  1. node-1 (source's node), hook forward: drop: dev/db is isolated for "
                + "egress by dev/test-network-policy")
                .doesNotContain("  2. ");
    }

    @Test
    void anAddressOutsideThePodsCanBeEitherEnd() {
        Result result = explain("--from", "172.17.0.9", "--to", "dev/db", "--port", "6379/tcp", "--brief");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).startsWith("172.17.0.9 -> dev/db TCP/6379 IPv4: allowed\n"
                + "  from 172.17.0.9 (outside the snapshot's pods)\n")
                .contains("allowed by dev/test-network-policy ingress[0].from[0]");
    }

    @Test
    void severalPortsGiveOneAnswerEachAndExitOneWhenAnyIsDenied() {
        Result result = explain("--from", "dev/db", "--to", "legacy/backup", "--port", "5978,UDP/5978", "--brief");

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.out()).contains("dev/db -> legacy/backup TCP/5978 IPv4: allowed\n")
                .contains("\ndev/db -> legacy/backup UDP/5978 IPv4: denied\n");
    }

    @Test
    void jsonCarriesTheVerdictTheDecidingSourcesAndTheTrace() throws Exception {
        Result result = explain("--from", "myproject/client", "--to", "dev/db", "--port", "6379", "--output", "json");

        assertThat(result.exitCode()).isZero();
        JsonNode connection = json(result).get("connections").get(0);
        assertThat(connection.get("allowed").asBoolean()).isTrue();
        assertThat(connection.get("source").get("node").asText()).isEqualTo("node-2");
        JsonNode hops = connection.get("hops");
        assertThat(hops).hasSize(2);
        JsonNode allowance = hops.get(1).get("allowedBy").get(0);
        assertThat(allowance.get("subject").asText()).isEqualTo("dev/db");
        assertThat(allowance.get("sources").get(0).get("policy").asText()).isEqualTo("dev/test-network-policy");
        assertThat(allowance.get("sources").get(0).get("peer").asInt()).isEqualTo(1);
        JsonNode jumped = hops.get(1).get("trace").get("rules").get(4).get("jumped");
        assertThat(jumped.get("via").get("subject").asText()).isEqualTo("dev/db");
        assertThat(jumped.get("rules").get(1).get("checks").get(0).get("element").get("comment").asText())
                .isEqualTo("myproject/client");
    }

    @Test
    void theMatrixOfTheDemoIsTheOneTheKernelProducesInTheSandbox() throws Exception {
        Reachability expected = Reachability.parse(Files.readString(DEMO.resolve("expected.txt")));

        Result result = explain("--all", "--port", "6379,5978");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo(expected.render());
    }

    @Test
    void aMatrixOfSomeNamespacesHoldsOnlyTheirPods() {
        Result result = explain("--namespace", "dev", "--namespace", "legacy", "--port", "5978");

        assertThat(result.out()).isEqualTo("""
                TCP/5978 IPv4
                              dev/db        dev/frontend  dev/backend   legacy/backup
                dev/db        .             X             X             .
                dev/frontend  X             .             .             .
                dev/backend   X             .             .             .
                legacy/backup X             .             .             .
                """);
    }

    @Test
    void theJsonMatrixHasOneCellPerPairWithWhatDecidedIt() throws Exception {
        Result result = explain("--all", "--port", "6379", "--output", "json");

        JsonNode root = json(result);
        assertThat(root.get("pods")).hasSize(8);
        assertThat(root.get("cells")).hasSize(64);
        JsonNode otherToDb = null;
        for (JsonNode cell : root.get("cells")) {
            if (cell.get("from").asText().equals("other/client") && cell.get("to").asText().equals("dev/db")) {
                otherToDb = cell;
            }
        }
        assertThat(otherToDb).isNotNull();
        assertThat(otherToDb.get("allowed").asBoolean()).isFalse();
        assertThat(otherToDb.get("hops").get(0).get("deniedBy").get("isolatedBy").get(0).asText())
                .isEqualTo("dev/test-network-policy");
        assertThat(otherToDb.get("hops").get(0).has("trace")).isFalse();
    }

    @Test
    void aPodWithBothFamiliesIsExplainedInBoth() throws Exception {
        Path file = Files.writeString(tmp.resolve("dual.yaml"), """
                kind: Pod
                metadata: {name: a, namespace: x}
                spec: {nodeName: n1}
                status: {phase: Running, podIPs: [{ip: 10.1.0.2}, {ip: "fd00::2"}]}
                ---
                kind: Pod
                metadata: {name: b, namespace: x}
                spec: {nodeName: n2}
                status: {phase: Running, podIPs: [{ip: 10.2.0.2}, {ip: "fd00::1:2"}]}
                """);

        Result result = cli.run("explain", "-i", file.toString(), "--from", "x/a", "--to", "x/b", "-p", "80", "--brief");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("x/a -> x/b TCP/80 IPv4: allowed\n").contains("x/a -> x/b TCP/80 IPv6: allowed\n");
    }

    @Test
    void anUnknownPodExitsTwoNamingThePodsOfItsNamespace() {
        Result result = explain("--from", "dev/fronted", "--to", "dev/db", "--port", "6379");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).isEqualTo("nftpolicy: error: --from: no pod dev/fronted in the snapshot "
                + "(pods of namespace dev: db, frontend, backend)\n");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void aPortThatIsNotANumberExitsTwo() {
        Result result = explain("--from", "dev/frontend", "--to", "dev/db", "--port", "redis");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: Invalid value for option '--port' (PORT[/PROTO]): "
                + "'redis': port must be a number\n");
    }

    @Test
    void aPortOutOfRangeOrAnUnknownProtocolExitsTwoQuotingWhatWasGiven() {
        assertThat(explain("--all", "--port", "70000").err()).contains("'70000': port must be 1-65535");
        assertThat(explain("--all", "--port", "53/icmp").err()).contains("'53/icmp': protocol must be TCP, UDP or SCTP");
    }

    @Test
    void aPairAndAMatrixCannotBeAskedForAtOnce() {
        Result result = explain("--from", "dev/frontend", "--to", "dev/db", "--all", "--port", "6379");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: --from/--to explain one connection, --namespace/--all "
                + "make a matrix: give one or the other\n");
    }

    @Test
    void fromWithoutToIsAUsageError() {
        Result result = explain("--from", "dev/frontend", "--port", "6379");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: --from needs --to\n");
    }

    @Test
    void nothingToExplainIsAUsageError() {
        Result result = explain("--port", "6379");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: say what to explain: --from and --to, or --namespace NS, "
                + "or --all\n");
    }

    @Test
    void readingANodesCountersNeedsTheHtmlReport() {
        Result result = explain("--all", "--port", "6379", "--node", "node-1");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: --node reads a node's counters for the audit report: "
                + "it needs -o html\n");
    }

    @Test
    void aNetnsWithoutANodeIsAUsageError() {
        Result result = explain("--all", "--port", "6379", "-o", "html", "--netns", "somewhere");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: --netns says where to read a node's counters: it "
                + "needs --node\n");
    }

    @Test
    void anUnknownOutputFormatExitsTwo() {
        Result result = explain("--all", "--port", "6379", "--output", "xml");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: --output is the format of what explain prints: text, json, yaml, html, got 'xml'\n");
    }

    @Test
    void aNamespaceWithoutPodsExitsTwo() {
        Result result = explain("--namespace", "prod", "--port", "6379");

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.err()).startsWith("nftpolicy: error: no pod of namespace prod runs on a node");
    }

    @Test
    void theHelpDocumentsTheExitStatus() {
        Result result = cli.run("explain", "--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("--from=NS/POD|IP").contains("--namespace=NS")
                .contains("1  --from/--to: at least one connection is denied");
    }

    // --- against the kernel: needs root, nft and ip, as CI has them

    @KernelTest
    @Test
    void onARicherClusterExplainsMatricesAreTheOnesTheKernelMeasures() {
        String input = snapshot("explain-kernel.yaml").toString();

        Result measured = cli.run("sandbox", "-i", input);
        Result explained = cli.run("explain", "-i", input, "--all", "-p", "8080,9090,53/udp");

        assertThat(measured.exitCode()).as(measured.err()).isZero();
        assertThat(explained.exitCode()).as(explained.err()).isZero();
        assertThat(explained.out()).startsWith("TCP/8080 IPv4\n").contains("UDP/53 IPv6\n").contains(" X ").contains(" . ");
        assertThat(explained.out()).isEqualTo(measured.out());
    }
}
