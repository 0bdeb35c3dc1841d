package io.nftpolicy.snapshot;

/** v1 Namespace: its name and labels. */
final class NamespaceReader implements KindReader {
    @Override
    public String kind() {
        return "Namespace";
    }

    @Override
    public String apiVersion() {
        return "v1";
    }

    @Override
    public boolean namespaced() {
        return false;
    }

    @Override
    public void read(Field object, SnapshotBuilder into) {
        Field metadata = object.get("metadata");
        into.namespaces.add(SnapshotConverter.namespace(
                metadata.get("name").string(), metadata.get("labels").stringMap(), into.diagnostics));
    }
}
