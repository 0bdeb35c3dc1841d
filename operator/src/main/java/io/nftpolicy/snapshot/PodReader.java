package io.nftpolicy.snapshot;

import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import java.util.ArrayList;
import java.util.List;

/**
 * v1 Pod: name, namespace, uid, labels, creation and deletion times, node, hostNetwork, phase, addresses, and the
 * ports of its containers and init containers (sidecars serve too). A port the API server would refuse is left out
 * with a diagnostic.
 */
final class PodReader {
    private PodReader() {}

    static void read(Field object, SnapshotBuilder into) {
        Field metadata = object.get("metadata");
        Field spec = object.get("spec");
        Field status = object.get("status");
        String namespace = SnapshotConverter.namespaceOr(metadata.get("namespace").string());
        String name = metadata.get("name").string();
        String ref = namespace + "/" + name;
        SnapshotConverter.checkPodName(name, ref, into.diagnostics);
        List<ContainerPort> ports = new ArrayList<>();
        containerPorts(spec.get("containers"), ref, ports, into);
        containerPorts(spec.get("initContainers"), ref, ports, into);
        List<String> podIps = new ArrayList<>();
        for (Field ip : status.get("podIPs").list()) {
            podIps.add(ip.get("ip").string());
        }
        into.pods.add(new Pod(
                namespace,
                name,
                SnapshotConverter.validLabels("Pod", ref, metadata.get("labels").stringMap(), into.diagnostics),
                spec.get("nodeName").string(),
                spec.get("hostNetwork").bool(),
                PodPhase.fromKubernetes(status.get("phase").string()),
                !metadata.get("deletionTimestamp").absent(),
                SnapshotConverter.addresses(podIps, status.get("podIP").string()),
                ports,
                metadata.get("uid").string(),
                SnapshotConverter.creationTimestamp(metadata.get("creationTimestamp").string(), ref, into.diagnostics)));
    }

    private static void containerPorts(Field containers, String ref, List<ContainerPort> ports, SnapshotBuilder into) {
        String field = containers.path();
        List<Field> list = containers.list();
        for (int c = 0; c < list.size(); c++) {
            List<Field> containerPorts = list.get(c).get("ports").list();
            for (int p = 0; p < containerPorts.size(); p++) {
                Field port = containerPorts.get(p);
                if (!port.absent()) {
                    SnapshotConverter.containerPort(ref, field + "[" + c + "].ports[" + p + "]",
                            port.get("name").string(), port.get("containerPort").integer(),
                            port.get("protocol").string(), into.diagnostics).ifPresent(ports::add);
                }
            }
        }
    }
}
