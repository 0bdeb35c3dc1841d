package io.nftpolicy.testing;

import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One pod of a test cluster: running, unscheduled, without addresses, labels or ports until told otherwise.
 * {@link #from(Pod)} starts from an existing pod, to change one field of it.
 */
public final class PodFixture {
    private final String namespace;
    private String name;
    private Map<String, String> labels = Map.of();
    private String node = "";
    private boolean hostNetwork;
    private PodPhase phase = PodPhase.RUNNING;
    private boolean terminating;
    private List<String> ips = List.of();
    private List<ContainerPort> ports = new ArrayList<>();
    private String uid;
    private Instant created;

    private PodFixture(String namespace, String name) {
        this.namespace = namespace;
        this.name = name;
    }

    /** @param ref namespace/name */
    public static PodFixture pod(String ref) {
        String[] parts = ref.split("/", 2);
        if (parts.length != 2) {
            throw new IllegalArgumentException("pod ref " + ref + " is not namespace/name");
        }
        return new PodFixture(parts[0], parts[1]);
    }

    public static PodFixture from(Pod p) {
        PodFixture f = new PodFixture(p.namespace(), p.name()).labels(p.labels()).on(p.nodeName()).phase(p.phase())
                .ips(p.ips().toArray(String[]::new)).ports(p.ports());
        f.hostNetwork = p.hostNetwork();
        f.terminating = p.terminating();
        // a derived uid follows the name, as it would for the pod written anew
        f.uid = p.uid().equals(Pod.derivedUid(p.namespace(), p.name())) ? null : p.uid();
        f.created = p.creationTimestamp();
        return f;
    }

    /** Another pod's name in the same namespace (with the uid that name derives, unless one is given). */
    public PodFixture renamed(String name) {
        this.name = name;
        return this;
    }

    public PodFixture on(String node) {
        this.node = node;
        return this;
    }

    public PodFixture ips(String... ips) {
        this.ips = List.of(ips);
        return this;
    }

    /** @param keyValues {@code key=value} */
    public PodFixture labels(String... keyValues) {
        return labels(Policies.map(keyValues));
    }

    public PodFixture labels(Map<String, String> labels) {
        this.labels = labels;
        return this;
    }

    /** A container port; an empty name for an unnamed one. */
    public PodFixture port(String name, int port, Protocol protocol) {
        ports.add(new ContainerPort(name, port, protocol));
        return this;
    }

    public PodFixture ports(List<ContainerPort> ports) {
        this.ports = new ArrayList<>(ports);
        return this;
    }

    public PodFixture phase(PodPhase phase) {
        this.phase = phase;
        return this;
    }

    public PodFixture hostNetwork() {
        this.hostNetwork = true;
        return this;
    }

    public PodFixture terminating() {
        this.terminating = true;
        return this;
    }

    /** metadata.uid; without it, the uid derived from namespace/name. */
    public PodFixture uid(String uid) {
        this.uid = uid;
        return this;
    }

    public PodFixture created(Instant creationTimestamp) {
        this.created = creationTimestamp;
        return this;
    }

    public Pod build() {
        return new Pod(namespace, name, labels, node, hostNetwork, phase, terminating, ips, ports, uid, created);
    }
}
