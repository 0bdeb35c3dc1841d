package io.nftpolicy.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.nftpolicy.compile.Diagnostic;
import java.util.Objects;

/** A NetworkPolicy that is not enforced as written, and why. */
public record InvalidPolicy(
        @Required @JsonPropertyDescription("The policy's namespace.")
        String namespace,
        @Required @JsonPropertyDescription("The policy's name.")
        String name,
        @Required @JsonPropertyDescription("Path of the offending field, e.g. spec.ingress[0].from[0].ipBlock.cidr.")
        String field,
        @Required @JsonPropertyDescription("What is wrong with it, and what the agent did instead.")
        String reason) {

    public InvalidPolicy {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(reason, "reason");
    }

    /**
     * The entry for a compiler diagnostic about a NetworkPolicy ({@code object} is namespace/name); the reason
     * includes the compiler's effect, e.g. that the selected pods stay isolated.
     */
    public static InvalidPolicy of(Diagnostic diagnostic) {
        if (!"NetworkPolicy".equals(diagnostic.kind())) {
            throw new IllegalArgumentException("not about a NetworkPolicy: " + diagnostic.format());
        }
        String object = diagnostic.object();
        int slash = object.indexOf('/');
        if (slash <= 0 || slash == object.length() - 1) {
            throw new IllegalArgumentException("not namespace/name: " + object);
        }
        return new InvalidPolicy(object.substring(0, slash), object.substring(slash + 1), diagnostic.field(),
                diagnostic.reasonAndEffect());
    }
}
