package io.nftpolicy.cluster;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A namespace and its labels. The API server sets {@code kubernetes.io/metadata.name} on every namespace; snapshots
 * from files may lack it, so it is always added here (policies select namespaces by name with it).
 */
public record Namespace(String name, Map<String, String> labels) {
    public static final String NAME_LABEL = "kubernetes.io/metadata.name";

    public Namespace {
        Objects.requireNonNull(name, "name");
        TreeMap<String, String> withName = new TreeMap<>(labels == null ? Map.of() : labels);
        withName.put(NAME_LABEL, name);
        labels = java.util.Collections.unmodifiableMap(withName);
    }
}
