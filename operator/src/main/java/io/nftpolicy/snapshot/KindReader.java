package io.nftpolicy.snapshot;

/**
 * Reads the objects of one kind of a snapshot file into the compiler's records. {@link SnapshotReader} has already
 * checked kind, apiVersion, metadata.name and that the object appears once; a reader takes the fields policy reads,
 * each of the type the API defines (a value of another type is a {@link Field.Problem} naming the field), and
 * leaves the others alone. Reading a new kind is one more reader in {@link SnapshotReader#READERS}.
 */
interface KindReader {
    /** The kind this reader reads, as {@code kind:} names it. */
    String kind();

    /** The only apiVersion read; objects of the kind in another group or version are skipped with a warning. */
    String apiVersion();

    /** Whether objects of the kind live in a namespace ("default" when they name none). */
    default boolean namespaced() {
        return true;
    }

    /** Reads one object into {@code into}. */
    void read(Field object, SnapshotBuilder into);
}
