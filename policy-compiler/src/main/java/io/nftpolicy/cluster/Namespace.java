package io.nftpolicy.cluster;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A namespace, its labels, and the annotations nftpolicy reads ({@code nftpolicy.io/...}; others are not kept). The
 * API server sets {@code kubernetes.io/metadata.name} on every namespace; snapshots from files may lack it, so it is
 * always added here (policies select namespaces by name with it).
 */
public record Namespace(String name, Map<String, String> labels, Map<String, String> annotations) {
    public static final String NAME_LABEL = "kubernetes.io/metadata.name";
    /** With the value {@code "true"}: drops of this namespace's pods are logged (docs/audit.md, "Drop logs"). */
    public static final String LOG_DROPS_ANNOTATION = "nftpolicy.io/log-drops";
    /** With the value {@code "true"}: the first packet of each connection its pods' allow rules accept is logged. */
    public static final String LOG_ACCEPTS_ANNOTATION = "nftpolicy.io/log-accepts";
    private static final String OWN_PREFIX = "nftpolicy.io/";

    public Namespace {
        Objects.requireNonNull(name, "name");
        TreeMap<String, String> withName = new TreeMap<>(labels == null ? Map.of() : labels);
        withName.put(NAME_LABEL, name);
        labels = java.util.Collections.unmodifiableMap(withName);
        TreeMap<String, String> own = new TreeMap<>();
        if (annotations != null) {
            annotations.forEach((k, v) -> {
                if (k.startsWith(OWN_PREFIX) && v != null) {
                    own.put(k, v);
                }
            });
        }
        annotations = java.util.Collections.unmodifiableMap(own);
    }

    public Namespace(String name, Map<String, String> labels) {
        this(name, labels, Map.of());
    }

    /** Whether the namespace asks for its pods' accepted connections to be logged (an audit of allows). */
    public boolean logsAccepts() {
        return "true".equals(annotations.get(LOG_ACCEPTS_ANNOTATION));
    }

    /** Whether the namespace asks for its pods' drops to be logged. */
    public boolean logsDrops() {
        return "true".equals(annotations.get(LOG_DROPS_ANNOTATION));
    }
}
