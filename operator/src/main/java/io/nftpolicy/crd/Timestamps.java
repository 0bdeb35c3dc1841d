package io.nftpolicy.crd;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** RFC 3339 time stamps in UTC, as the status resource holds them. */
public final class Timestamps {
    private Timestamps() {}

    /** Millisecond precision, e.g. {@code 2026-11-21T10:15:30.123Z} ({@code ...30Z} on a whole second). */
    public static String rfc3339(Instant instant) {
        return instant.truncatedTo(ChronoUnit.MILLIS).toString();
    }

    /** Second precision, as Kubernetes writes metav1.Time, e.g. {@code 2026-11-21T10:15:30Z}. */
    public static String rfc3339Seconds(Instant instant) {
        return instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }
}
