package io.nftpolicy.cluster;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The fields of a pod that policy reads.
 *
 * @param nodeName    spec.nodeName; empty when not yet scheduled
 * @param ips         status.podIPs (or status.podIP), as written in the object: validated by the compiler
 * @param terminating metadata.deletionTimestamp is set
 * @param ports       ports of all containers and init containers
 * @param uid         metadata.uid: what tells a pod from a later one of the same namespace and name
 * @param creationTimestamp metadata.creationTimestamp; null when absent
 */
public record Pod(
        String namespace,
        String name,
        Map<String, String> labels,
        String nodeName,
        boolean hostNetwork,
        PodPhase phase,
        boolean terminating,
        List<String> ips,
        List<ContainerPort> ports,
        String uid,
        Instant creationTimestamp) {

    public Pod {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(name, "name");
        labels = java.util.Collections.unmodifiableMap(new TreeMap<>(labels == null ? Map.of() : labels));
        nodeName = nodeName == null ? "" : nodeName;
        phase = phase == null ? PodPhase.UNKNOWN : phase;
        ips = List.copyOf(ips == null ? List.of() : ips);
        ports = List.copyOf(ports == null ? List.of() : ports);
        uid = uid == null || uid.isEmpty() ? derivedUid(namespace, name) : uid;
    }

    /** A pod without a uid or creation time given: its uid is derived from namespace/name ({@link #derivedUid}). */
    public Pod(String namespace, String name, Map<String, String> labels, String nodeName, boolean hostNetwork,
               PodPhase phase, boolean terminating, List<String> ips, List<ContainerPort> ports) {
        this(namespace, name, labels, nodeName, hostNetwork, phase, terminating, ips, ports, null, null);
    }

    /**
     * The uid of a pod whose object has none (a hand-written snapshot): the same for the same namespace/name, so
     * that such a snapshot compiles the same every time.
     */
    public static String derivedUid(String namespace, String name) {
        return UUID.nameUUIDFromBytes(("nftpolicy pod " + namespace + "/" + name).getBytes(StandardCharsets.UTF_8))
                .toString();
    }


    /** namespace/name, the way kubectl and every message in this project name a pod. */
    public String ref() {
        return namespace + "/" + name;
    }

    /**
     * Whether the pod takes part in policy at all, as a subject or as a peer. hostNetwork pods are node traffic;
     * finished pods leave every set because their addresses are handed to new pods. A terminating pod still runs
     * (its containers get their grace period) and filtering holds throughout the pod's lifecycle, so it stays.
     */
    public boolean participates() {
        return !hostNetwork && !phase.finished();
    }
}
