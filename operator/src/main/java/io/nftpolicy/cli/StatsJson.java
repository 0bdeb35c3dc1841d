package io.nftpolicy.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nftpolicy.stats.AcceptCount;
import io.nftpolicy.stats.DropCount;
import io.nftpolicy.stats.PolicyCounters;
import io.nftpolicy.stats.StagedAcceptCount;
import io.nftpolicy.stats.StagedDropCount;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code nftpolicy stats} prints: {@code {"node": ..., "rules": [...]}}, accept records first (policy and
 * rule), then drop records (pod, direction, the policies isolating it), then the records of staged policies
 * ({@code "staged": true}, verdict {@code would-accept} per rule or {@code would-drop} per pod). Text is the same
 * records, one a line, and a "would allow N, would deny N" line per staged policy.
 */
final class StatsJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private StatsJson() {}

    static ObjectNode of(String node, PolicyCounters.Report report) {
        ObjectNode root = JSON.createObjectNode();
        root.put("node", node);
        ArrayNode rules = root.putArray("rules");
        for (AcceptCount a : report.accepts()) {
            ObjectNode r = rules.addObject();
            r.put("verdict", "accept");
            r.put("policy", a.policy());
            r.put("rule", a.rule());
            r.put("direction", a.direction().field());
            r.put("packets", a.packets());
            r.put("bytes", a.bytes());
            if (!a.sharedWith().isEmpty()) {
                strings(r.putArray("sharedWith"), a.sharedWith());
            }
        }
        for (DropCount d : report.drops()) {
            ObjectNode r = rules.addObject();
            r.put("verdict", "drop");
            r.put("pod", d.pod());
            r.put("direction", d.direction().field());
            strings(r.putArray("isolatedBy"), d.isolatedBy());
            r.put("packets", d.packets());
            r.put("bytes", d.bytes());
        }
        for (StagedAcceptCount a : report.wouldAccept()) {
            ObjectNode r = rules.addObject();
            r.put("verdict", "would-accept");
            r.put("staged", true);
            r.put("policy", a.policy());
            r.put("rule", a.rule());
            r.put("direction", a.direction().field());
            r.put("packets", a.packets());
            r.put("bytes", a.bytes());
        }
        for (StagedDropCount d : report.wouldDrop()) {
            ObjectNode r = rules.addObject();
            r.put("verdict", "would-drop");
            r.put("staged", true);
            r.put("policy", d.policy());
            r.put("pod", d.pod());
            r.put("direction", d.direction().field());
            strings(r.putArray("isolatedBy"), d.isolatedBy());
            r.put("packets", d.packets());
            r.put("bytes", d.bytes());
        }
        if (!report.warnings().isEmpty()) {
            strings(root.putArray("warnings"), report.warnings());
        }
        return root;
    }

    static List<String> text(PolicyCounters.Report report) {
        List<String> lines = new java.util.ArrayList<>();
        for (AcceptCount a : report.accepts()) {
            lines.add(String.format("accept %-40s %-22s %10d packets %12d bytes%s", a.policy(), a.rule(), a.packets(),
                    a.bytes(), a.sharedWith().isEmpty() ? "" : "  (rule shared with " + String.join(", ",
                            a.sharedWith()) + ")"));
        }
        for (DropCount d : report.drops()) {
            lines.add(String.format("drop   %-40s %-22s %10d packets %12d bytes  isolated by %s", d.pod(),
                    d.direction().field(), d.packets(), d.bytes(), String.join(", ", d.isolatedBy())));
        }
        for (StagedAcceptCount a : report.wouldAccept()) {
            lines.add(String.format("would allow %-34s %-22s %10d packets %12d bytes  (staged)", a.policy(), a.rule(),
                    a.packets(), a.bytes()));
        }
        for (StagedDropCount d : report.wouldDrop()) {
            lines.add(String.format("would deny  %-34s %-22s %10d packets %12d bytes  (staged) %s of %s", d.policy(),
                    d.direction().field(), d.packets(), d.bytes(), d.direction().field(), d.pod()));
        }
        // One line per staged policy: the figures to watch before enforcing it (docs/audit.md).
        Map<String, long[]> totals = new TreeMap<>();
        report.wouldAccept().forEach(a -> totals.computeIfAbsent(a.policy(), p -> new long[2])[0] += a.packets());
        report.wouldDrop().forEach(d -> totals.computeIfAbsent(d.policy(), p -> new long[2])[1] += d.packets());
        totals.forEach((policy, t) -> lines.add(String.format("staged %s: would allow %d, would deny %d", policy, t[0],
                t[1])));
        return lines;
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
