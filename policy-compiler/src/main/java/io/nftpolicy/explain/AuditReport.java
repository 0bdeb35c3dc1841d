package io.nftpolicy.explain;

import io.nftpolicy.explain.Connection.Hop;
import io.nftpolicy.explain.PolicyRules.Placed;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import io.nftpolicy.ruleset.Ruleset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The audit report: one self-contained HTML page (no script, no network: its Content-Security-Policy forbids any
 * fetch) with a reachability matrix per port and family, each cell opening the connection's rule-by-rule trace as
 * {@code explain} prints it, and each policy with its compiled rules, and their counters when they were read from
 * the nodes.
 *
 * <p>A cell is a link to its trace, which CSS shows when it is the page's target: it works without JavaScript, and
 * a trace has a URL of its own ({@code report.html#c-12}) that an auditor can send. Everything that comes from the
 * snapshot (names, labels, comments) is escaped; ids are numbers, never names.
 */
public final class AuditReport {
    private static final String STYLE = """
            body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em 55vh;color:#222}
            h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.5em}h3{font-size:1em;margin:1em 0 .3em}
            table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:2px 6px;text-align:left}
            th{white-space:nowrap}
            table.matrix td{text-align:center;min-width:1.6em;padding:0}
            table.matrix td a{display:block;padding:2px 6px;color:inherit;text-decoration:none}
            table.matrix thead th{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap}
            td.allow{background:#bfe8bf}td.deny{background:#f4b6b6}td.none{background:#eee;color:#888}
            td.allow a:hover,td.deny a:hover{outline:2px solid #333}
            .legend span{padding:1px 6px;margin-right:.5em}
            .trace{display:none}
            .trace:target{display:block;position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;
              background:#fff;border-top:3px solid #333;padding:.5em 2em;box-shadow:0 -2px 8px #0003}
            .trace.allowed h3{color:#185c18}.trace.denied h3{color:#8b1a1a}
            .close{float:right}
            pre{font:12px/1.35 ui-monospace,monospace;white-space:pre-wrap}
            table.rules td{font:12px ui-monospace,monospace;vertical-align:top}
            table.rules td.count{text-align:right}
            """;

    /**
     * What the page shows.
     *
     * @param title    what was audited, e.g. the snapshot's file name
     * @param pods     the matrices' rows and columns, in this order
     * @param cells    the connections, as {@link ConnectionExplainer#matrix} gives them
     * @param policies every policy of the snapshot ("ns/name", "cnp/name"), in the order they are listed
     * @param rulesets the compiled ruleset of each node whose rules are listed
     * @param traces   whether each cell opens the rule-by-rule trace, or only what decided on each node
     * @param counters the rules' counts when they were read from the nodes, else {@link RuleCounters#NONE}
     */
    public record Input(String title, List<Party> pods, Map<Reachability.Cell, Connection> cells,
                        List<String> policies, Map<String, Ruleset> rulesets, boolean traces,
                        RuleCounters counters) {
        public Input {
            Objects.requireNonNull(title, "title");
            pods = List.copyOf(pods);
            cells = Collections.unmodifiableMap(new LinkedHashMap<>(cells));
            policies = List.copyOf(policies);
            rulesets = Collections.unmodifiableMap(new LinkedHashMap<>(rulesets));
            Objects.requireNonNull(counters, "counters");
        }

        /** The same report with counts read from the nodes. */
        public Input withCounters(RuleCounters counters) {
            return new Input(title, pods, cells, policies, rulesets, traces, counters);
        }
    }

    private final Input input;
    private final StringBuilder html = new StringBuilder(1 << 16);
    private final Map<String, Integer> policyIds = new HashMap<>();

    private AuditReport(Input input) {
        this.input = input;
        for (String policy : input.policies()) {
            policyIds.putIfAbsent(policy, policyIds.size());
        }
    }

    /** The page. Equal inputs give equal text: there is no timestamp but the counters' origin. */
    public static String html(Input input) {
        return new AuditReport(input).render();
    }

    private String render() {
        Map<Table, List<Integer>> tables = tables();
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; ")
                .append("style-src 'unsafe-inline'; img-src data:\">\n")
                .append("<title>nftpolicy audit: ").append(escape(input.title())).append("</title>\n")
                .append("<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n");
        heading(tables);
        List<Map.Entry<Reachability.Cell, Connection>> cells = new ArrayList<>(input.cells().entrySet());
        int[] tableOf = new int[cells.size()];
        int t = 0;
        for (Map.Entry<Table, List<Integer>> table : tables.entrySet()) {
            for (int i : table.getValue()) {
                tableOf[i] = t;
            }
            matrix(t++, table.getKey(), table.getValue(), cells);
        }
        html.append("<div id=\"traces\">\n");
        for (int i = 0; i < cells.size(); i++) {
            trace(i, tableOf[i], cells.get(i).getValue());
        }
        html.append("</div>\n");
        policies();
        html.append("</body>\n</html>\n");
        return html.toString();
    }

    /** One matrix: a port and a family. */
    private record Table(Endpoint endpoint, IpFamily family) {
        String label() {
            return endpoint.label() + " " + ConnectionText.familyLabel(family);
        }
    }

    /** The cells' indexes of each table, in the cells' order. */
    private Map<Table, List<Integer>> tables() {
        Map<Table, List<Integer>> tables = new LinkedHashMap<>();
        int i = 0;
        for (Reachability.Cell cell : input.cells().keySet()) {
            tables.computeIfAbsent(new Table(cell.endpoint(), cell.family()), t -> new ArrayList<>()).add(i++);
        }
        return tables;
    }

    private void heading(Map<Table, List<Integer>> tables) {
        long denied = input.cells().values().stream().filter(c -> !c.allowed()).count();
        html.append("<h1>nftpolicy audit: ").append(escape(input.title())).append("</h1>\n<p>")
                .append(input.pods().size()).append(" pods, ").append(input.policies().size()).append(" policies, ")
                .append(input.cells().size()).append(" connections of which ").append(denied).append(" denied, ")
                .append("as the snapshot's compiled rulesets decide them (the first packet of each connection, ")
                .append("evaluated rule by rule as each node's kernel would). Counters: ")
                .append(input.counters().origin().isEmpty() ? "none (not read from the nodes)"
                        : "read from " + escape(input.counters().origin()))
                .append(".</p>\n<p class=\"legend\"><span style=\"background:#bfe8bf\">")
                .append("&#10003; allowed</span><span style=\"background:#f4b6b6\">&#10007; denied</span>")
                .append("<span style=\"background:#eee\">- no address of that family</span> ")
                .append("Rows are sources, columns destinations. Click a cell for its trace.</p>\n<nav><ul>\n");
        int t = 0;
        for (Table table : tables.keySet()) {
            html.append("<li><a href=\"#m-").append(t++).append("\">").append(escape(table.label()))
                    .append("</a></li>\n");
        }
        html.append("<li><a href=\"#policies\">Policies and their compiled rules</a></li>\n</ul></nav>\n");
    }

    private void matrix(int t, Table table, List<Integer> indexes, List<Map.Entry<Reachability.Cell, Connection>> cells) {
        Map<List<String>, Integer> byPair = new HashMap<>();
        for (int i : indexes) {
            Reachability.Cell cell = cells.get(i).getKey();
            byPair.put(List.of(cell.from(), cell.to()), i);
        }
        html.append("<section class=\"matrix\" id=\"m-").append(t).append("\">\n<h2>")
                .append(escape(table.label())).append("</h2>\n<table class=\"matrix\">\n<thead><tr><th></th>");
        for (Party to : input.pods()) {
            html.append("<th scope=\"col\">").append(escape(to.name())).append("</th>");
        }
        html.append("</tr></thead>\n<tbody>\n");
        for (Party from : input.pods()) {
            html.append("<tr><th scope=\"row\">").append(escape(from.name())).append("</th>");
            for (Party to : input.pods()) {
                Integer i = byPair.get(List.of(from.name(), to.name()));
                if (i == null) {
                    html.append("<td class=\"none\">-</td>");
                    continue;
                }
                Connection c = cells.get(i).getValue();
                html.append("<td class=\"").append(c.allowed() ? "allow" : "deny").append("\"><a href=\"#c-")
                        .append(i).append("\" title=\"").append(escape(ConnectionText.headline(c))).append("\">")
                        .append(c.allowed() ? "&#10003;" : "&#10007;").append("</a></td>");
            }
            html.append("</tr>\n");
        }
        html.append("</tbody>\n</table>\n</section>\n");
    }

    /** The trace of cell {@code i} of matrix {@code t}, shown when it is the page's target. */
    private void trace(int i, int t, Connection c) {
        html.append("<section class=\"trace ").append(c.allowed() ? "allowed" : "denied").append("\" id=\"c-")
                .append(i).append("\">\n<a class=\"close\" href=\"#m-").append(t).append("\">close</a>\n<h3>")
                .append(escape(ConnectionText.headline(c))).append("</h3>\n");
        Set<String> deciding = deciding(c);
        if (!deciding.isEmpty()) {
            html.append("<p>Policies that decided: ");
            String separator = "";
            for (String policy : deciding) {
                html.append(separator);
                separator = ", ";
                Integer id = policyIds.get(policy);
                if (id == null) {
                    html.append(escape(policy));
                } else {
                    html.append("<a href=\"#p-").append(id).append("\">").append(escape(policy)).append("</a>");
                }
            }
            html.append("</p>\n");
        }
        html.append("<pre>").append(escape(ConnectionText.render(c, input.traces()))).append("</pre>\n</section>\n");
    }

    /** The policies whose rules allowed the connection on each node, or that isolate the pod that dropped it. */
    private static Set<String> deciding(Connection c) {
        Set<String> policies = new LinkedHashSet<>();
        for (Hop hop : c.hops()) {
            hop.trace().allowances().forEach(a -> a.sources().forEach(s -> policies.add(s.policy())));
            hop.trace().denial().ifPresent(d -> {
                d.isolatedBy().forEach(p -> policies.add(PolicyRules.withoutInvalid(p)));
                d.rule().sources().forEach(s -> policies.add(s.policy()));
            });
        }
        return policies;
    }

    private void policies() {
        Map<String, List<Placed>> rules = PolicyRules.of(input.rulesets());
        boolean counted = !input.counters().origin().isEmpty();
        html.append("<section id=\"policies\">\n<h2>Policies and their compiled rules</h2>\n<p>Each policy's rules ")
                .append("in the compiled rulesets of nodes ").append(escape(String.join(", ", input.rulesets().keySet())))
                .append(", as <code>nft list ruleset</code> prints them, with their position in the chain.</p>\n");
        for (String policy : input.policies()) {
            html.append("<h3 id=\"p-").append(policyIds.get(policy)).append("\">").append(escape(policy))
                    .append("</h3>\n");
            List<Placed> placed = rules.getOrDefault(policy, List.of());
            if (placed.isEmpty()) {
                html.append("<p>No rule of any node's ruleset names it: it selects no pod that runs on these ")
                        .append("nodes, or it did not compile (compile's warnings say why).</p>\n");
                continue;
            }
            html.append("<table class=\"rules\">\n<thead><tr><th>node</th><th>chain</th><th>#</th><th>rule</th>")
                    .append(counted ? "<th>packets</th><th>bytes</th>" : "").append("</tr></thead>\n<tbody>\n");
            for (Placed rule : placed) {
                html.append("<tr><td>").append(escape(rule.node())).append("</td><td>").append(escape(rule.chain()))
                        .append("</td><td>").append(rule.position()).append("</td><td>")
                        .append(escape(rule.rule().statement()));
                if (!rule.rule().comment().isEmpty()) {
                    html.append(" comment \"").append(escape(rule.rule().comment())).append('"');
                }
                html.append("</td>");
                if (counted) {
                    Optional<RuleCounters.Count> count = input.counters().count(rule.node(), rule.chain(),
                            rule.position());
                    html.append("<td class=\"count\">").append(count.map(n -> Long.toString(n.packets())).orElse("?"))
                            .append("</td><td class=\"count\">")
                            .append(count.map(n -> Long.toString(n.bytes())).orElse("?")).append("</td>");
                }
                html.append("</tr>\n");
            }
            html.append("</tbody>\n</table>\n");
        }
        html.append("</section>\n");
    }

    /** Text as HTML character data or an attribute value (quoted with either quote). */
    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            switch (ch) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(ch);
            }
        }
        return out.toString();
    }
}
