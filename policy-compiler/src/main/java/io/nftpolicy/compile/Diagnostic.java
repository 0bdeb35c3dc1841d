package io.nftpolicy.compile;

import java.util.Objects;

/**
 * A problem with one object of the snapshot, found while compiling. The object is skipped; for a policy that
 * means its pods stay isolated in the directions it names, with none of its allowances (fail closed).
 *
 * @param kind   NetworkPolicy or Pod
 * @param object namespace/name
 * @param field  path of the offending field, e.g. spec.ingress[0].from[1].ipBlock.cidr
 * @param reason what is wrong with it
 * @param effect what the compiler did about it
 */
public record Diagnostic(String kind, String object, String field, String reason, String effect) {
    public Diagnostic {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(reason, "reason");
        effect = effect == null ? "" : effect;
    }

    /** One line for a person: {@code NetworkPolicy dev/db: spec.ingress[0].from[0].ipBlock.cidr: ... (effect)}. */
    public String format() {
        return kind + " " + object + ": " + field + ": " + reasonAndEffect();
    }

    /** The reason, then the effect in parentheses when there is one: what a status entry about the object says. */
    public String reasonAndEffect() {
        return effect.isEmpty() ? reason : reason + " (" + effect + ")";
    }
}
