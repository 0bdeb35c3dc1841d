package io.nftpolicy.backend.kernel;

import java.util.ArrayList;
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
    public static String of(Object expr) {
        StringBuilder out = new StringBuilder();
        write(expr, out);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out) {
        if (value instanceof Map<?, ?> m) {
            if (m.size() == 1 && m.get("set") instanceof List<?> elements) {
                List<String> sorted = new ArrayList<>();
                elements.forEach(e -> sorted.add(of(e)));
                sorted.sort(null);
                out.append("{\"set\":[").append(String.join(",", sorted)).append("]}");
                return;
            }
            boolean figures = m.size() == 1 && (m.get("counter") instanceof Map<?, ?> || m.get("quota") instanceof Map<?, ?>);
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                quote(String.valueOf(e.getKey()), out);
                out.append(':');
                if (figures) {
                    Map<?, ?> inner = (Map<?, ?>) e.getValue();
                    out.append('{');
                    boolean f = true;
                    for (Map.Entry<?, ?> x : inner.entrySet()) {
                        if (x.getKey().equals("packets") || x.getKey().equals("bytes") && e.getKey().equals("counter")
                                || x.getKey().equals("used")) {
                            continue;
                        }
                        out.append(f ? "" : ",");
                        f = false;
                        quote(String.valueOf(x.getKey()), out);
                        out.append(':');
                        write(x.getValue(), out);
                    }
                    out.append('}');
                } else {
                    write(e.getValue(), out);
                }
            }
            out.append('}');
        } else if (value instanceof List<?> l) {
            out.append('[');
            for (int i = 0; i < l.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(l.get(i), out);
            }
            out.append(']');
        } else if (value instanceof String s) {
            quote(s, out);
        } else {
            out.append(value);
        }
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
