package io.nftpolicy.selector;

import io.nftpolicy.cluster.KubernetesNames;
import java.util.Optional;

import io.nftpolicy.policy.LabelSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A validated label selector: matchLabels AND every requirement. {@code {}} selects everything.
 * Built with {@link #compile}, which reports every malformed expression instead of guessing what was meant.
 */
public final class Selector {
    private static final Selector ALL = new Selector(Map.of(), List.of());

    private final Map<String, String> matchLabels;
    private final List<Requirement> requirements;

    private Selector(Map<String, String> matchLabels, List<Requirement> requirements) {
        this.matchLabels = Map.copyOf(matchLabels);
        this.requirements = List.copyOf(requirements);
    }

    public static Selector all() {
        return ALL;
    }

    /** The operators of metav1.LabelSelectorRequirement. */
    public enum Operator {
        IN("In"), NOT_IN("NotIn"), EXISTS("Exists"), DOES_NOT_EXIST("DoesNotExist");

        private final String spelling;

        Operator(String spelling) {
            this.spelling = spelling;
        }

        static Operator parse(String text) {
            for (Operator o : values()) {
                if (o.spelling.equals(text)) {
                    return o;
                }
            }
            return null;
        }
    }

    /** One checked matchExpressions entry. */
    public record Requirement(String key, Operator operator, Set<String> values) {
        boolean matches(Map<String, String> labels) {
            String value = labels.get(key);
            return switch (operator) {
                case IN -> value != null && values.contains(value);
                // NotIn also matches objects that do not carry the key at all.
                case NOT_IN -> value == null || !values.contains(value);
                case EXISTS -> value != null;
                case DOES_NOT_EXIST -> value == null;
            };
        }
    }

    /** A field of a selector that cannot be compiled, with its path relative to the selector. */
    public record Problem(String field, String reason) {}

    /**
     * Checks a selector as the API server would and compiles it.
     *
     * @param problems receives one entry per malformed field; when any is added the returned selector must not be used
     */
    public static Selector compile(LabelSelector selector, List<Problem> problems) {
        if (selector.isEmpty()) {
            return ALL;
        }
        List<Requirement> requirements = new ArrayList<>();
        for (var entry : selector.matchLabels().entrySet()) {
            KubernetesNames.labelKey(entry.getKey()).or(() -> KubernetesNames.labelValue(entry.getValue()))
                    .ifPresent(reason -> problems.add(new Problem("matchLabels", reason)));
        }
        for (int i = 0; i < selector.matchExpressions().size(); i++) {
            LabelSelector.Requirement raw = selector.matchExpressions().get(i);
            String field = "matchExpressions[" + i + "]";
            Optional<String> badKey = KubernetesNames.labelKey(raw.key());
            if (badKey.isPresent()) {
                problems.add(new Problem(field + ".key", badKey.get()));
                continue;
            }
            Operator op = Operator.parse(raw.operator());
            if (op == null) {
                problems.add(new Problem(field + ".operator",
                        "unknown operator \"" + raw.operator() + "\" (expected In, NotIn, Exists or DoesNotExist)"));
                continue;
            }
            boolean needsValues = op == Operator.IN || op == Operator.NOT_IN;
            if (needsValues && raw.values().isEmpty()) {
                problems.add(new Problem(field + ".values", "operator " + raw.operator() + " needs at least one value"));
                continue;
            }
            if (!needsValues && !raw.values().isEmpty()) {
                problems.add(new Problem(field + ".values", "operator " + raw.operator() + " takes no values"));
                continue;
            }
            Optional<String> badValue = raw.values().stream().map(KubernetesNames::labelValue)
                    .flatMap(Optional::stream).findFirst();
            if (badValue.isPresent()) {
                problems.add(new Problem(field + ".values", badValue.get()));
                continue;
            }
            requirements.add(new Requirement(raw.key(), op, new TreeSet<>(raw.values())));
        }
        return new Selector(selector.matchLabels(), requirements);
    }

    public boolean matches(Map<String, String> labels) {
        for (var entry : matchLabels.entrySet()) {
            if (!entry.getValue().equals(labels.get(entry.getKey()))) {
                return false;
            }
        }
        for (Requirement r : requirements) {
            if (!r.matches(labels)) {
                return false;
            }
        }
        return true;
    }

    public boolean selectsAll() {
        return matchLabels.isEmpty() && requirements.isEmpty();
    }

    /** kubectl's selector syntax, e.g. {@code role=db,tier in (a,b)}; {@code {}} for everything. */
    @Override
    public String toString() {
        if (selectsAll()) {
            return "{}";
        }
        List<String> parts = new ArrayList<>();
        new TreeSet<>(matchLabels.keySet()).forEach(k -> parts.add(k + "=" + matchLabels.get(k)));
        for (Requirement r : requirements) {
            parts.add(switch (r.operator()) {
                case IN -> r.key() + " in (" + String.join(",", r.values()) + ")";
                case NOT_IN -> r.key() + " notin (" + String.join(",", r.values()) + ")";
                case EXISTS -> r.key();
                case DOES_NOT_EXIST -> "!" + r.key();
            });
        }
        return parts.stream().collect(Collectors.joining(","));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Selector s && s.matchLabels.equals(matchLabels) && s.requirements.equals(requirements);
    }

    @Override
    public int hashCode() {
        return matchLabels.hashCode() * 31 + requirements.hashCode();
    }
}
