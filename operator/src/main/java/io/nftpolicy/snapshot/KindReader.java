package io.nftpolicy.snapshot;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * How the objects of one kind of a snapshot file are read into the compiler's records. {@link SnapshotReader} checks
 * kind, apiVersion, metadata.name and that the object appears once; {@code reading} takes the fields policy reads,
 * each of the type the API defines (a value of another type is a {@link Field.Problem} naming the field), and leaves
 * the others alone. Reading a new kind is one more entry in {@link SnapshotReader#READERS}.
 *
 * @param kind        the kind read, as {@code kind:} names it
 * @param apiVersions the apiVersions read: objects of the kind in another group or version are skipped with a
 *                    warning
 * @param namespaced  whether objects of the kind live in a namespace ("default" when they name none)
 * @param reading     reads one object into the builder
 */
record KindReader(String kind, List<String> apiVersions, boolean namespaced, BiConsumer<Field, SnapshotBuilder> reading) {
    KindReader {
        apiVersions = List.copyOf(apiVersions);
    }

    /** The apiVersions read, for a warning: {@code v1}, or {@code a/v1alpha2 and a/v1beta1}. */
    String apiVersionsText() {
        return String.join(" and ", apiVersions);
    }
}
