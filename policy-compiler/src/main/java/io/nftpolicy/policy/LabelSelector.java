package io.nftpolicy.policy;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A metav1.LabelSelector as written in the policy: matchLabels AND every matchExpression. Operators and values are
 * kept as written; the compiler validates them and reports the offending field.
 */
public record LabelSelector(Map<String, String> matchLabels, List<Requirement> matchExpressions) {
    public LabelSelector {
        matchLabels = java.util.Collections.unmodifiableMap(new TreeMap<>(matchLabels == null ? Map.of() : matchLabels));
        matchExpressions = List.copyOf(matchExpressions == null ? List.of() : matchExpressions);
    }

    /** {@code {}}: selects everything. */
    public static LabelSelector all() {
        return new LabelSelector(Map.of(), List.of());
    }

    public static LabelSelector matchLabels(Map<String, String> labels) {
        return new LabelSelector(labels, List.of());
    }

    public boolean isEmpty() {
        return matchLabels.isEmpty() && matchExpressions.isEmpty();
    }

    /** One matchExpressions entry. */
    public record Requirement(String key, String operator, List<String> values) {
        public Requirement {
            values = List.copyOf(values == null ? List.of() : values);
        }
    }
}
