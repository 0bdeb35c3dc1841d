package io.nftpolicy.snapshot;

/**
 * Reads the objects of one kind of a snapshot file into the compiler's records. {@link SnapshotReader} has already
 * checked kind, apiVersion, metadata.name and that the object appears once; a reader takes the fields policy reads,
 * each of the type the API defines (a value of another type is a {@link Field.Problem} naming the field), and
 * leaves the others alone. Reading a new kind is one more reader in {@link SnapshotReader#READERS}.
 */
abstract class KindReader {
    private final String kind;
    private final String apiVersion;
    private final boolean namespaced;

    /**
     * @param kind the kind read, as {@code kind:} names it
     * @param apiVersion the only apiVersion read: objects of the kind in another group or version are skipped with a
     *     warning
     * @param namespaced whether objects of the kind live in a namespace ("default" when they name none)
     */
    KindReader(String kind, String apiVersion, boolean namespaced) {
        this.kind = kind;
        this.apiVersion = apiVersion;
        this.namespaced = namespaced;
    }

    final String kind() {
        return kind;
    }

    final String apiVersion() {
        return apiVersion;
    }

    final boolean namespaced() {
        return namespaced;
    }

    /** Reads one object into {@code into}. */
    abstract void read(Field object, SnapshotBuilder into);
}
