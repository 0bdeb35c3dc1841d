package io.nftpolicy.backend.kernel;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A rule's whole match and action, as the kernel lists it: the {@code expr} array of libnftables' JSON for the rule,
 * written back as compact JSON, with what varies between two listings of the same rule taken out. Two rules with the
 * same expression do the same; an edit of any match (a state added to {@code ct state}, {@code !=} for {@code ==},
 * a {@code meta mark} test) changes it, whatever comment, sets and verdict the rule keeps.
 *
 * <p>What is taken out: the elements of an anonymous set are sorted (the kernel lists a hash set in the order of
 * its buckets, seeded at random per set), and a counter's or quota's running figures are left out.
 */
public final class RuleExpression {
    private RuleExpression() {}

    /** The canonical text of a rule's {@code expr} array, as parsed from the JSON listing. */
    public static String of(JsonNode expr) {
        StringBuilder out = new StringBuilder();
        write(expr, out);
        return out.toString();
    }

    private static void write(JsonNode value, StringBuilder out) {
        if (value.isObject()) {
            JsonNode set = value.get("set");
            if (value.size() == 1 && set != null && set.isArray()) {
                List<String> sorted = new ArrayList<>();
                set.forEach(e -> sorted.add(of(e)));
                sorted.sort(null);
                out.append("{\"set\":[").append(String.join(",", sorted)).append("]}");
                return;
            }
            boolean figures = value.size() == 1 && (isObject(value.get("counter")) || isObject(value.get("quota")));
            out.append('{');
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                out.append(first ? "" : ",");
                first = false;
                quote(e.getKey(), out);
                out.append(':');
                if (figures) {
                    out.append('{');
                    boolean f = true;
                    for (Iterator<Map.Entry<String, JsonNode>> x = e.getValue().fields(); x.hasNext(); ) {
                        Map.Entry<String, JsonNode> figure = x.next();
                        String key = figure.getKey();
                        if (key.equals("packets") || key.equals("bytes") && e.getKey().equals("counter")
                                || key.equals("used")) {
                            continue;
                        }
                        out.append(f ? "" : ",");
                        f = false;
                        quote(key, out);
                        out.append(':');
                        write(figure.getValue(), out);
                    }
                    out.append('}');
                } else {
                    write(e.getValue(), out);
                }
            }
            out.append('}');
        } else if (value.isArray()) {
            out.append('[');
            for (int i = 0; i < value.size(); i++) {
                out.append(i > 0 ? "," : "");
                write(value.get(i), out);
            }
            out.append(']');
        } else if (value.isTextual()) {
            quote(value.textValue(), out);
        } else {
            out.append(value.toString()); // numbers, true, false, null
        }
    }

    private static boolean isObject(JsonNode value) {
        return value != null && value.isObject();
    }

    private static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        out.append('"');
    }
}
