package io.nftpolicy.lab;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Knobs of a lab that callers may want to turn.
 *
 * @param prefix       start of every namespace name this lab creates; {@code null} picks a fresh random one, which
 *                     is what lets labs run side by side in one or many JVMs. A fixed prefix is for humans (the
 *                     sandbox command) and tests that must find the lab's namespaces.
 * @param probeTimeout how long a probe waits before calling a destination blocked. Dropped packets give no answer,
 *                     so every blocked cell costs this long (in parallel with all others).
 */
public record LabOptions(String prefix, Duration probeTimeout) {
    private static final Pattern PREFIX = Pattern.compile("[a-z][a-z0-9]{1,9}");

    public LabOptions {
        if (prefix != null && !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("prefix must match " + PREFIX + ": " + prefix);
        }
        Objects.requireNonNull(probeTimeout, "probeTimeout");
        if (probeTimeout.isNegative() || probeTimeout.isZero()) {
            throw new IllegalArgumentException("probeTimeout must be positive: " + probeTimeout);
        }
    }

    public static LabOptions defaults() {
        return new LabOptions(null, Duration.ofMillis(500));
    }

    public LabOptions withPrefix(String newPrefix) {
        return new LabOptions(newPrefix, probeTimeout);
    }

    public LabOptions withProbeTimeout(Duration timeout) {
        return new LabOptions(prefix, timeout);
    }
}
