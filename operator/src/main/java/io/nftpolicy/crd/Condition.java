package io.nftpolicy.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.time.Instant;
import java.util.Objects;

/**
 * A condition in the usual Kubernetes form (metav1.Condition without observedGeneration).
 *
 * @param type               {@link #READY} for now
 * @param status             {@code True}, {@code False} or {@code Unknown}
 * @param reason             CamelCase, machine-readable
 * @param message            for a person; may be empty
 * @param lastTransitionTime when status last changed, RFC 3339
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
        String lastTransitionTime) {

    public static final String READY = "Ready";
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

    /** Ready=True or Ready=False, changed at {@code since}. */
    public static Condition ready(boolean ready, String reason, String message, Instant since) {
        return new Condition(READY, ready ? TRUE : FALSE, reason, message, Timestamps.rfc3339Seconds(since));
    }

    /**
     * This condition with its new status, reason and message; the transition time stays when the status did not
     * change (the Kubernetes convention), and becomes {@code now} when it did.
     */
    public Condition update(String newStatus, String newReason, String newMessage, Instant now) {
        String since = newStatus.equals(status) ? lastTransitionTime : Timestamps.rfc3339Seconds(now);
        return new Condition(type, newStatus, newReason, newMessage, since);
    }
}
