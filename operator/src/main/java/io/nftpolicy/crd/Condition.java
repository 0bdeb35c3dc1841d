package io.nftpolicy.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.time.Instant;
import java.util.Objects;

/**
 * A condition in the usual Kubernetes form (metav1.Condition).
 *
 * @param type               {@link #READY} (the agent enforces this node's ruleset and reports) or
 *                           {@link #DATAPLANE_READY} (the kernel filters what the ruleset says: same-node bridged
 *                           traffic passes through nftables)
 * @param status             {@code True}, {@code False} or {@code Unknown}
 * @param reason             CamelCase, machine-readable
 * @param message            for a person; may be empty
 * @param lastTransitionTime when status last changed, RFC 3339
 * @param observedGeneration the NodePolicyStatus's metadata.generation the condition was set from
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Condition(
        @Required @JsonPropertyDescription("Type of the condition: Ready.")
        String type,
        @Required @JsonPropertyDescription("True, False or Unknown.")
        String status,
        @JsonPropertyDescription("Why the condition is in this status, CamelCase, e.g. Synced or SyncFailed.")
        String reason,
        @JsonPropertyDescription("Details for a person.")
        String message,
        @JsonPropertyDescription("When the status last changed (RFC 3339).")
        String lastTransitionTime,
        @JsonPropertyDescription("The metadata.generation of this NodePolicyStatus the condition was set from.")
        Long observedGeneration) {

    public static final String READY = "Ready";
    public static final String DATAPLANE_READY = "DataplaneReady";
    public static final String TRUE = "True";
    public static final String FALSE = "False";
    public static final String UNKNOWN = "Unknown";

    public Condition {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(status, "status");
        if (!status.equals(TRUE) && !status.equals(FALSE) && !status.equals(UNKNOWN)) {
            throw new IllegalArgumentException("condition status must be True, False or Unknown: " + status);
        }
    }

    /** Without observedGeneration (set when written, {@link #observing}). */
    public Condition(String type, String status, String reason, String message, String lastTransitionTime) {
        this(type, status, reason, message, lastTransitionTime, null);
    }

    /** Ready=True or Ready=False, changed at {@code since}. */
    public static Condition ready(boolean ready, String reason, String message, Instant since) {
        return new Condition(READY, ready ? TRUE : FALSE, reason, message, Timestamps.rfc3339Seconds(since));
    }

    /** A condition of {@code type} with this status, changed at {@code since}. */
    public static Condition of(String type, String status, String reason, String message, Instant since) {
        return new Condition(type, status, reason, message, Timestamps.rfc3339Seconds(since));
    }

    /** This condition as set from the resource's {@code generation}. */
    public Condition observing(Long generation) {
        return new Condition(type, status, reason, message, lastTransitionTime, generation);
    }

    /**
     * This condition with its new status, reason and message; the transition time stays when the status did not
     * change (the Kubernetes convention), and becomes {@code now} when it did.
     */
    public Condition update(String newStatus, String newReason, String newMessage, Instant now) {
        String since = newStatus.equals(status) ? lastTransitionTime : Timestamps.rfc3339Seconds(now);
        return new Condition(type, newStatus, newReason, newMessage, since, observedGeneration);
    }
}
