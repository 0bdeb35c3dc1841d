package io.nftpolicy.snapshot;

/** v1 Namespace: its name, labels, and the annotations nftpolicy reads. */
final class NamespaceReader {
    private NamespaceReader() {}

    static void read(Field object, SnapshotBuilder into) {
        Field metadata = object.get("metadata");
        into.namespaces.add(SnapshotConverter.namespace(
                metadata.get("name").string(), metadata.get("labels").stringMap(),
                metadata.get("annotations").stringMap(), into.diagnostics));
    }
}
