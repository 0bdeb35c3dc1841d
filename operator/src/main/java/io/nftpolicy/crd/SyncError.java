package io.nftpolicy.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.time.Instant;
import java.util.Objects;

/** Why the last sync failed, and when. */
public record SyncError(
        @Required @JsonPropertyDescription("What failed, in one line.")
        String message,
        @Required @JsonPropertyDescription("When it failed (RFC 3339).")
        String time) {

    public SyncError {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(time, "time");
    }

    public static SyncError at(Instant time, String message) {
        return new SyncError(message, Timestamps.rfc3339(time));
    }
}
