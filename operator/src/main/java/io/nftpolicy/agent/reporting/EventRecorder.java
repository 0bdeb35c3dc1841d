package io.nftpolicy.agent.reporting;

import com.google.common.collect.ImmutableListMultimap;
import com.google.common.collect.ListMultimap;
import com.google.common.collect.Multimaps;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nftpolicy.agent.cache.ClusterPolicyApi;
import io.nftpolicy.agent.cache.PolicyRef;
import io.nftpolicy.agent.sync.SyncReport;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.crd.NodePolicyStatus;
import io.nftpolicy.crd.NodeSyncStatus;
import io.nftpolicy.crd.Timestamps;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events (core v1) about what a user should look at, type Warning, from component {@code nftpolicy}
 * with the node as host:
 * <ul>
 *   <li>{@value #INVALID}, on a NetworkPolicy the compiler rejected: once per generation of the policy (its spec
 *       version), not on every sync, with the diagnostic as message;</li>
 *   <li>{@value #APPLY_FAILED}, when the kernel refused a sync: on the NetworkPolicy the refused command came from
 *       when its comment names one, else on this node's NodePolicyStatus; once per distinct error, not per retry.</li>
 * </ul>
 * Every node's agent compiles every policy, so an invalid policy gets one Event per node (their source.host
 * differs).
 *
 * <p>Used from one thread (the status thread).
 */
public final class EventRecorder {
    public static final String INVALID = "InvalidNetworkPolicy";
    public static final String APPLY_FAILED = "ApplyFailed";
    /** A pod or namespace with a field the agent could not use as written. */
    public static final String INVALID_OBJECT = "InvalidObject";
    public static final String COMPONENT = "nftpolicy";
    /** Where Events about cluster-scoped objects go, as kubectl and client-go put them. */
    public static final String CLUSTER_SCOPED_EVENTS_NAMESPACE = "default";
    private static final Logger LOG = LoggerFactory.getLogger(EventRecorder.class);
    /** A rule comment's provenance: {@code ns/policy ingress[0].from[2]}. */
    private static final Pattern PROVENANCE = Pattern.compile("\"([^\"/ ]+)/([^\" ]+) (?:ingress|egress)\\[");

    private final KubernetesClient client;
    private final String node;
    private final Clock clock;
    /** Invalid policies already reported, with the generation reported. */
    private final Map<String, Long> reportedInvalid = new HashMap<>();
    /** Problems of pods and namespaces already reported (each line once while it lasts). */
    private final java.util.Set<String> reportedProblems = new java.util.HashSet<>();

    public EventRecorder(KubernetesClient client, String node, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.node = Objects.requireNonNull(node, "node");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Records an Event for each invalid policy of a compiled snapshot that was not reported at its generation. */
    public void invalidPolicies(SyncReport report) {
        if (report.ruleset().isEmpty()) {
            return;
        }
        ListMultimap<String, Diagnostic> byPolicy = report.diagnostics().stream()
                .filter(d -> d.kind().equals("NetworkPolicy"))
                .collect(ImmutableListMultimap.toImmutableListMultimap(Diagnostic::object, d -> d));
        reportedInvalid.keySet().retainAll(byPolicy.keySet());
        for (Map.Entry<String, List<Diagnostic>> e : Multimaps.asMap(byPolicy).entrySet()) {
            PolicyRef ref = report.policyRefs().get(e.getKey());
            if (ref == null) {
                continue;
            }
            Long reported = reportedInvalid.get(e.getKey());
            if (reported != null && reported == ref.generation()) {
                continue;
            }
            List<Diagnostic> diagnostics = e.getValue();
            String message = diagnostics.get(0).format() + (diagnostics.size() == 1 ? ""
                    : " (and " + (diagnostics.size() - 1) + " more problems: kubectl get nodepolicystatus " + node
                    + " -o yaml)");
            if (record(policyReference(ref), ref.namespace(), INVALID, message)) {
                reportedInvalid.put(e.getKey(), ref.generation());
            }
        }
    }

    /**
     * Records an Event on each pod, namespace, node or ClusterNetworkPolicy with a problem not reported yet: one per problem while it lasts (a
     * problem that goes away and comes back is reported again). At most {@link NodeSyncStatus#MAX_OBJECT_PROBLEMS}
     * new ones per sync, so that a flood of broken pods does not flood the API server.
     */
    public void objectProblems(SyncReport report) {
        if (report.ruleset().isEmpty()) {
            return;
        }
        java.util.Set<String> current = new java.util.HashSet<>();
        int recorded = 0;
        for (Diagnostic d : report.diagnostics()) {
            if (d.kind().equals("NetworkPolicy")) {
                continue;
            }
            String line = d.format();
            current.add(line);
            if (reportedProblems.contains(line) || recorded >= NodeSyncStatus.MAX_OBJECT_PROBLEMS) {
                continue;
            }
            int slash = d.object().indexOf('/');
            String namespace = slash > 0 ? d.object().substring(0, slash) : CLUSTER_SCOPED_EVENTS_NAMESPACE;
            ObjectReference involved = new ObjectReferenceBuilder()
                    .withApiVersion(apiVersionOf(d.kind()))
                    .withKind(d.kind())
                    .withNamespace(slash > 0 ? namespace : null)
                    .withName(slash > 0 ? d.object().substring(slash + 1) : d.object())
                    .build();
            if (record(involved, namespace, INVALID_OBJECT, line)) {
                reportedProblems.add(line);
                recorded++;
            }
        }
        reportedProblems.retainAll(current);
    }

    /** Records an ApplyFailed Event for a failed sync. */
    public void applyFailed(SyncReport report) {
        String message = "node " + node + ": " + report.error().orElse("sync failed");
        Optional<PolicyRef> policy = report.failingCommand().flatMap(c -> policyIn(c, report.policyRefs()));
        if (policy.isPresent()) {
            record(policyReference(policy.get()), policy.get().namespace(), APPLY_FAILED, message);
        } else {
            ObjectReference status = new ObjectReferenceBuilder()
                    .withApiVersion(NodePolicyStatus.GROUP + "/" + NodePolicyStatus.VERSION)
                    .withKind(NodePolicyStatus.KIND)
                    .withName(node)
                    .build();
            record(status, CLUSTER_SCOPED_EVENTS_NAMESPACE, APPLY_FAILED, message);
        }
    }

    /** The policy whose provenance a command's comment names, if it is one of the snapshot's. */
    /**
     * The apiVersion of a kind the compiler reports problems of: core v1 (Pod, Namespace, Node), or
     * ClusterNetworkPolicy's v1beta1, which every network-policy-api v0.3.0 CRD serves (as v1alpha2 too).
     */
    static String apiVersionOf(String kind) {
        return kind.equals(ClusterPolicyApi.KIND) ? ClusterPolicyApi.GROUP + "/v1beta1" : "v1";
    }

    static Optional<PolicyRef> policyIn(String command, Map<String, PolicyRef> policies) {
        Matcher m = PROVENANCE.matcher(command);
        while (m.find()) {
            PolicyRef ref = policies.get(m.group(1) + "/" + m.group(2));
            if (ref != null) {
                return Optional.of(ref);
            }
        }
        return Optional.empty();
    }

    private static ObjectReference policyReference(PolicyRef ref) {
        return new ObjectReferenceBuilder()
                .withApiVersion("networking.k8s.io/v1")
                .withKind("NetworkPolicy")
                .withNamespace(ref.namespace())
                .withName(ref.name())
                .withUid(ref.uid().isEmpty() ? null : ref.uid())
                .build();
    }

    /**
     * Records an Event, or counts it again: the name is a digest of the involved object, the reason and the
     * message, so the same problem seen again, by this node or by any other (each compiles every policy), is one
     * Event whose {@code count} and {@code lastTimestamp} move on, as kubectl describe shows it, rather than one
     * Event per node and occurrence.
     */
    private boolean record(ObjectReference involved, String namespace, String reason, String message) {
        String time = Timestamps.rfc3339Seconds(clock.instant());
        String text = message.length() > 1024 ? message.substring(0, 1021) + "..." : message;
        String name = involved.getName() + "." + digest(involved.getKind(), involved.getNamespace(),
                involved.getName(), involved.getUid(), reason, text);
        var events = client.v1().events().inNamespace(namespace);
        try {
            for (int attempt = 0; attempt < 3; attempt++) {
                Event existing = events.withName(name).get();
                try {
                    if (existing == null) {
                        events.resource(new EventBuilder()
                                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                                .withInvolvedObject(involved)
                                .withType("Warning")
                                .withReason(reason)
                                .withMessage(text)
                                .withNewSource().withComponent(COMPONENT).withHost(node).endSource()
                                .withReportingComponent("nftpolicy.io/agent")
                                .withReportingInstance(node)
                                .withFirstTimestamp(time)
                                .withLastTimestamp(time)
                                .withCount(1)
                                .build()).create();
                    } else {
                        existing.setCount(existing.getCount() == null ? 2 : existing.getCount() + 1);
                        existing.setLastTimestamp(time);
                        events.resource(existing).update(); // with its resourceVersion: 409 if counted meanwhile
                    }
                    return true;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw e;
                    }
                    // created or counted by another node meanwhile: read it again
                }
            }
            return false;
        } catch (KubernetesClientException e) {
            LOG.warn("cannot record event {} on {} {}/{}: {}", reason, involved.getKind(), namespace,
                    involved.getName(), e.getMessage());
            return false;
        }
    }

    private static String digest(String... parts) {
        try {
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                sha.update(String.valueOf(p).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                sha.update((byte) 0);
            }
            return java.util.HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
    }
}
