package io.nftpolicy.explain;

import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.labels;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.Clusters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The audit page's content: one linked cell per pair, its trace, each policy's rules, and escaping. */
class AuditReportTest {
    /** A policy name as an attacker would write it: a label value cannot hold it, a name in a dump file can. */
    private static final String HOSTILE = "dev/<img src=x onerror=alert('x')>&\"";

    private static final PolicyRule FROM_FRONTEND_TCP_80 =
            new PolicyRule(List.of(PolicyPeer.pods(labels("role=frontend"))), List.of(PolicyPort.tcp(80)));

    private static ClusterSnapshot cluster() {
        return Clusters.cluster().namespaces("dev")
                .pod("dev/db", "n1", "10.244.1.5", "role=db")
                .pod("dev/fe", "n1", "10.244.1.6", "role=frontend")
                .pod("dev/fe2", "n2", "10.244.2.6", "role=frontend")
                .policy(ingress("dev/db-access", labels("role=db"), FROM_FRONTEND_TCP_80))
                .policy(ingress(HOSTILE, labels("role=frontend")))
                .policy(ingress("dev/nobody", labels("role=none")))
                .snapshot();
    }

    private static AuditReport.Input input(RuleCounters counters) {
        ClusterSnapshot snapshot = cluster();
        PolicyCompiler compiler = new PolicyCompiler();
        Map<String, Ruleset> rulesets = new LinkedHashMap<>();
        for (String node : List.of("n1", "n2")) {
            rulesets.put(node, compiler.compile(snapshot, node).ruleset());
        }
        ConnectionExplainer explainer = new ConnectionExplainer(snapshot, rulesets::get);
        List<Party> pods = explainer.pods(ns -> true);
        Map<Reachability.Cell, Connection> cells = explainer.matrix(pods, List.of(Endpoint.tcp(80), Endpoint.tcp(81)));
        List<String> policies = snapshot.policies().stream().map(p -> p.ref()).toList();
        return new AuditReport.Input("cluster <1>.yaml", pods, cells, policies, rulesets, true, counters);
    }

    private static List<String> all(String regex, String text) {
        List<String> found = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            found.add(m.groupCount() > 0 ? m.group(1) : m.group());
        }
        return found;
    }

    @Test
    void eachMatrixHasOneLinkedCellPerPairAndEachCellItsOwnTrace() {
        AuditReport.Input input = input(RuleCounters.NONE);

        String html = AuditReport.html(input);

        assertThat(all("<h2>([^<]*)</h2>", html)).containsExactly("TCP/80 IPv4", "TCP/81 IPv4",
                "Policies and their compiled rules");
        List<String> links = all("<td class=\"(?:allow|deny)\"><a href=\"#(c-\\d+)\"", html);
        assertThat(links).hasSize(2 * 3 * 3).doesNotHaveDuplicates();
        assertThat(all("<section class=\"trace (?:allowed|denied)\" id=\"(c-\\d+)\"", html))
                .containsExactlyInAnyOrderElementsOf(links);
    }

    @Test
    void aCellIsColouredByItsVerdictAndOpensTheTraceExplainPrints() {
        AuditReport.Input input = input(RuleCounters.NONE);
        List<Connection> cells = new ArrayList<>(input.cells().values());
        int allowed = indexOf(cells, "dev/fe", "dev/db", 80);
        int denied = indexOf(cells, "dev/fe", "dev/db", 81);

        String html = AuditReport.html(input);

        assertThat(html).contains("<td class=\"allow\"><a href=\"#c-" + allowed + "\" title=\"dev/fe -&gt; dev/db "
                + "TCP/80 IPv4: allowed\">");
        assertThat(html).contains("<td class=\"deny\"><a href=\"#c-" + denied + "\"");
        String trace = html.substring(html.indexOf("id=\"c-" + allowed + "\""));
        trace = trace.substring(0, trace.indexOf("</section>"));
        assertThat(trace).contains("<a href=\"#p-0\">dev/db-access</a>")
                .contains(AuditReport.escape(ConnectionText.render(cells.get(allowed), true)))
                .contains("comment &quot;dev/db-access ingress[0].from[0]&quot;");
    }

    @Test
    void withoutTracesACellShowsOnlyWhatDecided() {
        AuditReport.Input input = input(RuleCounters.NONE);
        input = new AuditReport.Input(input.title(), input.pods(), input.cells(), input.policies(), input.rulesets(),
                false, RuleCounters.NONE);

        String html = AuditReport.html(input);

        assertThat(html).doesNotContain("trace on ").contains("hook forward: accept");
    }

    @Test
    void namesFromTheSnapshotAreEscapedEverywhere() {
        String html = AuditReport.html(input(RuleCounters.NONE));

        assertThat(html).doesNotContain("<img").doesNotContain("alert('x')")
                .contains("<h3 id=\"p-1\">dev/&lt;img src=x onerror=alert(&#39;x&#39;)&gt;&amp;&quot;</h3>")
                .contains("<title>nftpolicy audit: cluster &lt;1&gt;.yaml</title>");
    }

    @Test
    void thePageFetchesNothing() {
        String html = AuditReport.html(input(RuleCounters.NONE));

        assertThat(html).contains("content=\"default-src 'none'; style-src 'unsafe-inline'")
                .doesNotContain("<script").doesNotContain("<link").doesNotContain("src=\"")
                .doesNotContain("http://").doesNotContain("https://");
    }

    @Test
    void eachPolicyListsTheRulesOfEveryNodeThatNameIt() {
        String html = AuditReport.html(input(RuleCounters.NONE));

        String dbAccess = section(html, "p-0");
        assertThat(dbAccess).contains("<td>n1</td><td>ing-")
                .contains("accept comment \"dev/db-access ingress[0].from[0]\"")
                .contains("drop comment \"isolated for ingress by dev/db-access\"")
                .doesNotContain("<td>n2</td>");
        assertThat(section(html, "p-1")).contains("<td>n1</td>").contains("<td>n2</td>");
        assertThat(section(html, "p-2")).contains("No rule of any node's ruleset names it");
        assertThat(html).doesNotContain("<th>packets</th>").contains("Counters: none (not read from the nodes)");
    }

    @Test
    void countersReadFromTheNodesStandNextToTheirRules() {
        RuleCounters counters = new RuleCounters() {
            @Override
            public String origin() {
                return "n1 at 2026-12-07T04:00:00Z";
            }

            @Override
            public Optional<Count> count(String node, String chain, int position) {
                return node.equals("n1") && chain.startsWith("ing-") && position == 1
                        ? Optional.of(new Count(7, 420)) : Optional.empty();
            }
        };

        String html = AuditReport.html(input(counters));

        String dbAccess = section(html, "p-0");
        assertThat(html).contains("Counters: read from n1 at 2026-12-07T04:00:00Z");
        assertThat(dbAccess).contains("<th>packets</th><th>bytes</th>")
                .contains("ingress[0].from[0]\"</td><td class=\"count\">7</td><td class=\"count\">420</td>")
                .contains("<td class=\"count\">?</td>");
    }

    private static String section(String html, String id) {
        String from = html.substring(html.indexOf("<h3 id=\"" + id + "\">"));
        int next = from.indexOf("<h3 ", 1);
        return next < 0 ? from : from.substring(0, next);
    }

    private static int indexOf(List<Connection> cells, String from, String to, int port) {
        for (int i = 0; i < cells.size(); i++) {
            Connection c = cells.get(i);
            if (c.from().name().equals(from) && c.to().name().equals(to) && c.packet().port() == port) {
                return i;
            }
        }
        throw new AssertionError("no cell " + from + " -> " + to + " " + port);
    }
}
