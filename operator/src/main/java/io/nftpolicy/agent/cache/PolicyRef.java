package io.nftpolicy.agent.cache;

/**
 * What the agent keeps of a NetworkPolicy's metadata besides its compiled form: enough to name it in a Kubernetes
 * Event (uid) and to report a problem once per version of its spec (generation).
 *
 * @param namespace  metadata.namespace
 * @param name       metadata.name
 * @param uid        metadata.uid; empty when the server did not set one
 * @param generation metadata.generation; 0 when absent
 */
public record PolicyRef(String namespace, String name, String uid, long generation) {
    public PolicyRef {
        uid = uid == null ? "" : uid;
    }

    /** namespace/name. */
    public String ref() {
        return namespace + "/" + name;
    }
}
