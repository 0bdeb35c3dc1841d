package io.nftpolicy.snapshot;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.ContainerPort;
import io.nftpolicy.cluster.KubernetesNames;
import io.nftpolicy.cluster.Namespace;
import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.policy.IpBlock;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Converts fabric8 model objects (read from a file, or held by informers) into the compiler's input records. Values
 * are carried over as written: the compiler validates policies and reports their errors. The only judgement made
 * here is on pod ports, which the compiler takes already typed: a port with an unknown protocol or no number is
 * dropped with a diagnostic.
 *
 * <p>Stateless and thread-safe.
 */
public final class SnapshotConverter {
    /** The namespace of namespaced objects that do not name one, as kubectl applies them. */
    public static final String DEFAULT_NAMESPACE = "default";

    /** A snapshot and what was dropped while converting it. */
    public record Conversion(ClusterSnapshot snapshot, List<Diagnostic> diagnostics) {
        public Conversion {
            diagnostics = List.copyOf(diagnostics);
        }
    }

    /**
     * Converts a whole set of objects. Namespaces that pods or policies live in but that are not among
     * {@code namespaces} are added without labels (hand-written files rarely list them); the compiler's Namespace
     * record gives each its {@code kubernetes.io/metadata.name} label.
     */
    public Conversion convert(
            Collection<io.fabric8.kubernetes.api.model.Namespace> namespaces,
            Collection<io.fabric8.kubernetes.api.model.Pod> pods,
            Collection<io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy> policies) {
        List<Diagnostic> diagnostics = new ArrayList<>();
        List<Namespace> namespaceRecords = new ArrayList<>();
        for (var namespace : namespaces) {
            namespaceRecords.add(namespace(namespace, diagnostics));
        }
        List<Pod> podRecords = new ArrayList<>();
        for (var pod : pods) {
            podRecords.add(pod(pod, diagnostics));
        }
        List<NetworkPolicy> policyRecords = new ArrayList<>();
        for (var policy : policies) {
            policyRecords.add(policy(policy));
        }
        return new Conversion(snapshot(namespaceRecords, podRecords, policyRecords), diagnostics);
    }

    /**
     * The snapshot of these records: the first namespace of each name, then those that pods or policies live in
     * but that are not among {@code namespaces}, without labels.
     */
    static ClusterSnapshot snapshot(List<Namespace> namespaces, List<Pod> pods, List<NetworkPolicy> policies) {
        List<Namespace> namespaceRecords = new ArrayList<>();
        Set<String> known = new LinkedHashSet<>();
        for (Namespace namespace : namespaces) {
            if (known.add(namespace.name())) {
                namespaceRecords.add(namespace);
            }
        }
        Set<String> missing = new TreeSet<>();
        pods.forEach(p -> missing.add(p.namespace()));
        policies.forEach(p -> missing.add(p.namespace()));
        missing.removeAll(known);
        missing.forEach(name -> namespaceRecords.add(new Namespace(name, Map.of())));
        return new ClusterSnapshot(namespaceRecords, pods, policies);
    }

    public Namespace namespace(io.fabric8.kubernetes.api.model.Namespace namespace) {
        return namespace(namespace, new ArrayList<>());
    }

    /**
     * Converts a namespace; a label the API server would refuse is left out.
     *
     * @param diagnostics receives one entry per label left out, and one for a name the API server would refuse
     */
    public Namespace namespace(io.fabric8.kubernetes.api.model.Namespace namespace, List<Diagnostic> diagnostics) {
        ObjectMeta metadata = metadata(namespace.getMetadata());
        return namespace(nullToEmpty(metadata.getName()), metadata.getLabels(), metadata.getAnnotations(), diagnostics);
    }

    /**
     * A namespace of this name, labels and annotations (only nftpolicy's are kept) as written; what the API server
     * would refuse is reported and left out.
     */
    static Namespace namespace(String name, Map<String, String> labels, Map<String, String> annotations,
                               List<Diagnostic> diagnostics) {
        KubernetesNames.namespaceName(name).ifPresent(reason ->
                diagnostics.add(new Diagnostic("Namespace", name, "metadata.name", reason, "")));
        return new Namespace(name, validLabels("Namespace", name, labels, diagnostics), annotations);
    }

    /**
     * Converts a pod. Ports come from containers and init containers (sidecars serve too); addresses from
     * status.podIPs, or status.podIP when podIPs is empty.
     *
     * @param diagnostics receives one entry per dropped port
     */
    public Pod pod(io.fabric8.kubernetes.api.model.Pod pod, List<Diagnostic> diagnostics) {
        ObjectMeta metadata = metadata(pod.getMetadata());
        String namespace = namespaceOf(metadata);
        String name = nullToEmpty(metadata.getName());
        PodSpec spec = pod.getSpec() == null ? new PodSpec() : pod.getSpec();
        PodStatus status = pod.getStatus() == null ? new PodStatus() : pod.getStatus();

        List<ContainerPort> ports = new ArrayList<>();
        String ref = namespace + "/" + name;
        checkPodName(name, ref, diagnostics);
        containerPorts(spec.getContainers(), "spec.containers", ref, ports, diagnostics);
        containerPorts(spec.getInitContainers(), "spec.initContainers", ref, ports, diagnostics);

        List<String> podIps = new ArrayList<>();
        for (PodIP ip : nullToEmpty(status.getPodIPs())) {
            podIps.add(ip == null ? null : ip.getIp());
        }
        return new Pod(
                namespace,
                name,
                validLabels("Pod", ref, metadata.getLabels(), diagnostics),
                spec.getNodeName(),
                Boolean.TRUE.equals(spec.getHostNetwork()),
                PodPhase.fromKubernetes(status.getPhase()),
                metadata.getDeletionTimestamp() != null,
                addresses(podIps, status.getPodIP()),
                ports,
                metadata.getUid(),
                creationTimestamp(metadata.getCreationTimestamp(), ref, diagnostics));
    }

    static void checkPodName(String name, String ref, List<Diagnostic> diagnostics) {
        KubernetesNames.podName(name).ifPresent(reason ->
                diagnostics.add(new Diagnostic("Pod", ref, "metadata.name", reason, "")));
    }

    /** A pod's addresses: status.podIPs, or status.podIP when podIPs has none; empty entries are no address. */
    static List<String> addresses(List<String> podIps, String podIp) {
        List<String> ips = new ArrayList<>();
        for (String ip : podIps) {
            if (ip != null && !ip.isEmpty()) {
                ips.add(ip);
            }
        }
        if (ips.isEmpty() && podIp != null && !podIp.isEmpty()) {
            ips.add(podIp);
        }
        return ips;
    }

    /** metadata.creationTimestamp (RFC 3339); null when absent or unreadable, which is reported. */
    static Instant creationTimestamp(String text, String ref, List<Diagnostic> diagnostics) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            diagnostics.add(new Diagnostic("Pod", ref, "metadata.creationTimestamp", "\"" + text
                    + "\" is not an RFC 3339 time", "the pod counts as older than any other pod claiming its address"));
            return null;
        }
    }

    private static void containerPorts(
            List<Container> containers, String field, String ref, List<ContainerPort> into, List<Diagnostic> out) {
        List<Container> list = nullToEmpty(containers);
        for (int c = 0; c < list.size(); c++) {
            Container container = list.get(c);
            if (container == null) {
                continue;
            }
            List<io.fabric8.kubernetes.api.model.ContainerPort> ports = nullToEmpty(container.getPorts());
            for (int p = 0; p < ports.size(); p++) {
                var port = ports.get(p);
                if (port == null) {
                    continue;
                }
                String path = field + "[" + c + "].ports[" + p + "]";
                containerPort(ref, path, port.getName(), port.getContainerPort(), port.getProtocol(), out)
                        .ifPresent(into::add);
            }
        }
    }

    /**
     * A container port as written, when the API server would accept it: a protocol of TCP (the default), UDP or SCTP,
     * a number in 1-65535 and a valid name or none. Otherwise it is reported under {@code path} and left out.
     */
    static Optional<ContainerPort> containerPort(String ref, String path, String name, Integer number, String protocol,
                                                 List<Diagnostic> out) {
        String protocolName = protocol == null ? "TCP" : protocol;
        Optional<Protocol> known = Protocol.fromKubernetes(protocolName);
        Optional<String> wrong;
        String field;
        if (known.isEmpty()) {
            field = ".protocol";
            wrong = Optional.of("\"" + protocolName + "\" is not TCP, UDP or SCTP");
        } else if (number == null) {
            field = ".containerPort";
            wrong = Optional.of("missing");
        } else if (KubernetesNames.portNumber(number).isPresent()) {
            field = ".containerPort";
            wrong = KubernetesNames.portNumber(number);
        } else {
            field = ".name";
            wrong = name == null || name.isEmpty() ? Optional.empty() : KubernetesNames.portName(name);
        }
        if (wrong.isPresent()) {
            out.add(new Diagnostic("Pod", ref, path + field, wrong.get(), "port ignored"));
            return Optional.empty();
        }
        return Optional.of(new ContainerPort(nullToEmpty(name), number, known.get()));
    }

    /** Converts a policy as written; policyTypes stays empty when absent (the compiler applies the defaulting). */
    public NetworkPolicy policy(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy policy) {
        ObjectMeta metadata = metadata(policy.getMetadata());
        NetworkPolicySpec spec = policy.getSpec() == null ? new NetworkPolicySpec() : policy.getSpec();
        List<PolicyRule> ingress = map(spec.getIngress(), rule -> rule == null
                ? PolicyRule.allowAll()
                : new PolicyRule(map(rule.getFrom(), SnapshotConverter::peer), map(rule.getPorts(), SnapshotConverter::port)));
        List<PolicyRule> egress = map(spec.getEgress(), rule -> rule == null
                ? PolicyRule.allowAll()
                : new PolicyRule(map(rule.getTo(), SnapshotConverter::peer), map(rule.getPorts(), SnapshotConverter::port)));
        return new NetworkPolicy(
                namespaceOf(metadata),
                nullToEmpty(metadata.getName()),
                selector(spec.getPodSelector()),
                strings(spec.getPolicyTypes()),
                ingress,
                egress,
                NetworkPolicy.stagedBy(metadata.getAnnotations()));
    }

    private static PolicyPeer peer(NetworkPolicyPeer peer) {
        if (peer == null) {
            return new PolicyPeer(Optional.empty(), Optional.empty(), Optional.empty());
        }
        IPBlock block = peer.getIpBlock();
        return new PolicyPeer(
                Optional.ofNullable(peer.getPodSelector()).map(SnapshotConverter::selector),
                Optional.ofNullable(peer.getNamespaceSelector()).map(SnapshotConverter::selector),
                Optional.ofNullable(block).map(b -> new IpBlock(b.getCidr(), strings(b.getExcept()))));
    }

    private static PolicyPort port(io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort port) {
        if (port == null) {
            return new PolicyPort(Optional.empty(), Optional.empty(), Optional.empty());
        }
        return new PolicyPort(
                Optional.ofNullable(port.getProtocol()),
                Optional.ofNullable(port.getPort()).flatMap(SnapshotConverter::portRef),
                Optional.ofNullable(port.getEndPort()));
    }

    private static Optional<PolicyPort.PortRef> portRef(IntOrString port) {
        if (port.getIntVal() != null) {
            return Optional.of(new PolicyPort.PortRef.Number(port.getIntVal()));
        }
        if (port.getStrVal() != null) {
            return Optional.of(new PolicyPort.PortRef.Named(port.getStrVal()));
        }
        return Optional.empty();
    }

    /** A selector as written; an absent spec.podSelector (invalid in the API) selects like {}, as Go decodes it. */
    private static LabelSelector selector(io.fabric8.kubernetes.api.model.LabelSelector selector) {
        if (selector == null) {
            return LabelSelector.all();
        }
        List<LabelSelector.Requirement> requirements = new ArrayList<>();
        for (LabelSelectorRequirement r : nullToEmpty(selector.getMatchExpressions())) {
            if (r != null) {
                requirements.add(new LabelSelector.Requirement(r.getKey(), r.getOperator(), strings(r.getValues())));
            }
        }
        return new LabelSelector(labels(selector.getMatchLabels()), requirements);
    }

    private static ObjectMeta metadata(ObjectMeta metadata) {
        return metadata == null ? new ObjectMeta() : metadata;
    }

    private static String namespaceOf(ObjectMeta metadata) {
        return namespaceOr(metadata.getNamespace());
    }

    /** The namespace an object names, or the default one. */
    static String namespaceOr(String namespace) {
        return namespace == null || namespace.isEmpty() ? DEFAULT_NAMESPACE : namespace;
    }

    /** Labels with null values (YAML {@code app:} with nothing after it) read as "", as the API server decodes them. */
    private static Map<String, String> labels(Map<String, String> labels) {
        Map<String, String> out = new LinkedHashMap<>();
        if (labels != null) {
            labels.forEach((k, v) -> {
                if (k != null) {
                    out.put(k, v == null ? "" : v);
                }
            });
        }
        return out;
    }

    /** The labels the API server would accept; each other one is left out with a diagnostic. */
    static Map<String, String> validLabels(String kind, String ref, Map<String, String> labels,
                                                   List<Diagnostic> diagnostics) {
        Map<String, String> valid = labels(labels);
        valid.entrySet().removeIf(label -> {
            Optional<String> reason = KubernetesNames.labelKey(label.getKey())
                    .or(() -> KubernetesNames.labelValue(label.getValue()));
            reason.ifPresent(r -> diagnostics.add(new Diagnostic(kind, ref, "metadata.labels", r, "label ignored")));
            return reason.isPresent();
        });
        return valid;
    }

    private static <A, B> List<B> map(List<A> list, Function<A, B> f) {
        List<B> out = new ArrayList<>();
        for (A a : nullToEmpty(list)) {
            out.add(f.apply(a));
        }
        return out;
    }

    /** A list of strings as written; null entries (YAML {@code - } with nothing) read as "". */
    private static List<String> strings(List<String> list) {
        return map(list, SnapshotConverter::nullToEmpty);
    }

    private static <T> List<T> nullToEmpty(List<T> list) {
        return list == null ? List.of() : list;
    }

    static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
