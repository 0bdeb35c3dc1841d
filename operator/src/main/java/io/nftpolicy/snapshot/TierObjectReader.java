package io.nftpolicy.snapshot;

import com.fasterxml.jackson.databind.JsonNode;
import io.nftpolicy.cluster.Node;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Protocol;
import io.nftpolicy.policy.ClusterNetworkPolicy.Rule;
import io.nftpolicy.policy.LabelSelector;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads ClusterNetworkPolicy objects (policy.networking.k8s.io v1alpha2 and v1beta1 of network-policy-api v0.3.0,
 * whose schemas are the same) and Node objects into the compiler's records: from a snapshot file (their
 * {@link KindReader}s in {@link SnapshotReader#READERS}) and from the agent's informers, one object at a time, so that
 * both read them alike. Values are kept as written, so that the compiler validates them and reports per policy and
 * field; what is not even of the right shape (a string where a list belongs) is read as absent, which the compiler
 * then reports.
 */
public final class TierObjectReader {
    static final List<String> CLUSTER_POLICY_VERSIONS =
            List.of("policy.networking.k8s.io/v1alpha2", "policy.networking.k8s.io/v1beta1");
    private static final Set<String> PEER_FIELDS = Set.of("namespaces", "pods", "nodes", "networks", "domainNames");

    private TierObjectReader() {}

    /** One Node object as the compiler's record. */
    public static Node node(JsonNode node) {
        return node(text(node.path("metadata").path("name")), node);
    }

    /** One ClusterNetworkPolicy object as the compiler's record, its values as written (see the class comment). */
    public static ClusterNetworkPolicy clusterPolicy(JsonNode object) {
        return clusterPolicy(text(object.path("metadata").path("name")), object.path("spec"));
    }

    private static Node node(String name, JsonNode node) {
        List<String> addresses = new ArrayList<>();
        for (JsonNode a : node.path("status").path("addresses")) {
            String type = text(a.path("type"));
            if (type.equals("InternalIP") || type.equals("ExternalIP")) {
                addresses.add(text(a.path("address")));
            }
        }
        return new Node(name, strings(node.path("metadata").path("labels")), addresses);
    }

    static ClusterNetworkPolicy clusterPolicy(String name, JsonNode spec) {
        JsonNode priority = spec.path("priority");
        JsonNode subject = spec.path("subject");
        ClusterNetworkPolicy.Subject parsedSubject = subject.isObject()
                ? new ClusterNetworkPolicy.Subject(selector(subject.get("namespaces")), pods(subject.get("pods")))
                : null;
        return new ClusterNetworkPolicy(name, spec.has("tier") ? text(spec.path("tier")) : null,
                priority.canConvertToInt() && priority.isIntegralNumber() ? priority.asInt() : null, parsedSubject,
                rules(spec.path("ingress"), "from"), rules(spec.path("egress"), "to"));
    }

    private static List<Rule> rules(JsonNode rules, String peersField) {
        List<Rule> out = new ArrayList<>();
        for (JsonNode rule : rules) {
            List<Peer> peers = new ArrayList<>();
            for (JsonNode peer : rule.path(peersField)) {
                peers.add(peer(peer));
            }
            List<Protocol> protocols = new ArrayList<>();
            for (JsonNode protocol : rule.path("protocols")) {
                protocols.add(protocol(protocol));
            }
            out.add(new Rule(text(rule.path("name")), rule.has("action") ? text(rule.path("action")) : null, peers,
                    protocols));
        }
        return out;
    }

    private static Peer peer(JsonNode peer) {
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = peer.fieldNames(); it.hasNext(); ) {
            String field = it.next();
            if (!PEER_FIELDS.contains(field)) {
                unknown.add(field);
            }
        }
        return new Peer(selector(peer.get("namespaces")), pods(peer.get("pods")), selector(peer.get("nodes")),
                peer.has("networks") ? list(peer.get("networks")) : null,
                peer.has("domainNames") ? list(peer.get("domainNames")) : null, unknown);
    }

    private static Protocol protocol(JsonNode protocol) {
        List<String> set = new ArrayList<>();
        for (String p : List.of("tcp", "udp", "sctp")) {
            if (protocol.has(p)) {
                set.add(p);
            }
        }
        String named = protocol.has("destinationNamedPort") ? text(protocol.get("destinationNamedPort")) : null;
        if (set.isEmpty()) {
            return new Protocol(null, null, null, null, named);
        }
        JsonNode port = protocol.path(set.get(0)).path("destinationPort");
        JsonNode range = port.path("range");
        return new Protocol(String.join(" and ", set), integer(port.path("number")), integer(range.path("start")),
                integer(range.path("end")), named);
    }

    private static ClusterNetworkPolicy.NamespacedPods pods(JsonNode pods) {
        if (pods == null || !pods.isObject()) {
            return null;
        }
        return new ClusterNetworkPolicy.NamespacedPods(selector(pods.get("namespaceSelector")),
                selector(pods.get("podSelector")));
    }

    private static LabelSelector selector(JsonNode selector) {
        if (selector == null || !selector.isObject()) {
            return null;
        }
        List<LabelSelector.Requirement> expressions = new ArrayList<>();
        for (JsonNode e : selector.path("matchExpressions")) {
            expressions.add(new LabelSelector.Requirement(text(e.path("key")), text(e.path("operator")),
                    list(e.path("values"))));
        }
        return new LabelSelector(strings(selector.path("matchLabels")), expressions);
    }

    private static Integer integer(JsonNode node) {
        return node.isIntegralNumber() && node.canConvertToInt() ? node.asInt() : null;
    }

    private static List<String> list(JsonNode node) {
        List<String> out = new ArrayList<>();
        for (JsonNode item : node) {
            out.add(text(item));
        }
        return out;
    }

    private static Map<String, String> strings(JsonNode node) {
        Map<String, String> out = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), text(e.getValue())));
        return out;
    }

    private static String text(JsonNode node) {
        return node != null && node.isValueNode() && !node.isNull() ? node.asText() : "";
    }
}
