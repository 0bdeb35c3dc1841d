package io.nftpolicy.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nftpolicy.stats.AcceptCount;
import io.nftpolicy.stats.DropCount;
import io.nftpolicy.stats.PolicyCounters;
import java.util.List;

/**
 * What {@code nftpolicy stats} prints: {@code {"node": ..., "rules": [...]}}, accept records first (policy and
 * rule), then drop records (pod, direction, the policies isolating it). Text is the same records, one a line.
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
        return lines;
    }

    private static void strings(ArrayNode array, List<String> values) {
        values.forEach(array::add);
    }
}
