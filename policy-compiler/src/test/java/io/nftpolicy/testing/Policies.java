package io.nftpolicy.testing;

import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small vocabulary for writing NetworkPolicies in tests, close to their YAML: {@code ingress("x/allow-y",
 * labels("pod=a"), peers(namespaces(labels("ns=y"))))} reads as "in namespace x, pods with pod=a accept traffic from
 * every pod of namespaces labelled ns=y".
 */
public final class Policies {
    private Policies() {}

    // ---- policies ----

    /** policyTypes [Ingress]; no rules means "isolate, allow nothing". */
    public static NetworkPolicy ingress(String ref, LabelSelector subject, PolicyRule... rules) {
        return policy(ref, subject, List.of("Ingress"), Arrays.asList(rules), List.of());
    }

    /** policyTypes [Egress]; no rules means "isolate, allow nothing". */
    public static NetworkPolicy egress(String ref, LabelSelector subject, PolicyRule... rules) {
        return policy(ref, subject, List.of("Egress"), List.of(), Arrays.asList(rules));
    }

    /** policyTypes [Ingress, Egress] and no rules: deny everything in both directions. */
    public static NetworkPolicy denyAll(String ref, LabelSelector subject) {
        return policy(ref, subject, List.of("Ingress", "Egress"), List.of(), List.of());
    }

    /** @param types as written; empty for "policyTypes absent" */
    public static NetworkPolicy policy(String ref, LabelSelector subject, List<String> types, List<PolicyRule> ingress,
                                List<PolicyRule> egress) {
        String[] parts = ref.split("/", 2);
        return new NetworkPolicy(parts[0], parts[1], subject, types, ingress, egress);
    }

    /** The same policy with these ingress rules instead of its own. */
    public static NetworkPolicy withIngress(NetworkPolicy policy, List<PolicyRule> ingress) {
        return new NetworkPolicy(policy.namespace(), policy.name(), policy.podSelector(), policy.policyTypes(), ingress,
                policy.egress());
    }

    // ---- selectors ----

    /** {@code {}}: everything. */
    public static LabelSelector all() {
        return LabelSelector.all();
    }

    /** matchLabels from {@code key=value} strings. */
    public static LabelSelector labels(String... keyValues) {
        return LabelSelector.matchLabels(map(keyValues));
    }

    /** matchExpressions only. */
    public static LabelSelector expressions(LabelSelector.Requirement... requirements) {
        return new LabelSelector(Map.of(), List.of(requirements));
    }

    /** matchLabels AND matchExpressions. */
    public static LabelSelector selector(Map<String, String> matchLabels, LabelSelector.Requirement... requirements) {
        return new LabelSelector(matchLabels, List.of(requirements));
    }

    public static LabelSelector.Requirement requirement(String key, String operator, String... values) {
        return new LabelSelector.Requirement(key, operator, List.of(values));
    }

    public static Map<String, String> map(String... keyValues) {
        Map<String, String> map = new LinkedHashMap<>();
        for (String kv : keyValues) {
            String[] parts = kv.split("=", 2);
            map.put(parts[0], parts[1]);
        }
        return map;
    }

    // ---- peers ----

    /** podSelector alone: pods of the policy's own namespace. */
    public static PolicyPeer pods(LabelSelector podSelector) {
        return PolicyPeer.pods(podSelector);
    }

    /** namespaceSelector alone: every pod of the matching namespaces. */
    public static PolicyPeer namespaces(LabelSelector namespaceSelector) {
        return PolicyPeer.namespaces(namespaceSelector);
    }

    /** podSelector AND namespaceSelector in ONE peer. */
    public static PolicyPeer podsInNamespaces(LabelSelector podSelector, LabelSelector namespaceSelector) {
        return PolicyPeer.podsInNamespaces(podSelector, namespaceSelector);
    }

    public static PolicyPeer ipBlock(String cidr, String... except) {
        return PolicyPeer.ipBlock(cidr, except);
    }

    // ---- ports ----

    public static PolicyPort tcp(int port) {
        return PolicyPort.of("TCP", port);
    }

    public static PolicyPort udp(int port) {
        return PolicyPort.of("UDP", port);
    }

    public static PolicyPort sctp(int port) {
        return PolicyPort.of("SCTP", port);
    }

    /** A number without protocol: the protocol defaults to TCP. */
    public static PolicyPort portWithoutProtocol(int port) {
        return new PolicyPort(Optional.empty(), Optional.of(new PolicyPort.PortRef.Number(port)), Optional.empty());
    }

    /** {@code {}} in a ports list: no protocol, no port. */
    public static PolicyPort emptyPort() {
        return new PolicyPort(Optional.empty(), Optional.empty(), Optional.empty());
    }

    /** {@code {protocol: UDP}}: every port of that protocol. */
    public static PolicyPort protocolOnly(String protocol) {
        return new PolicyPort(Optional.of(protocol), Optional.empty(), Optional.empty());
    }

    /** @param protocol null for "absent" (TCP) */
    public static PolicyPort named(String protocol, String name) {
        return PolicyPort.named(protocol, name);
    }

    public static PolicyPort range(String protocol, int port, int endPort) {
        return PolicyPort.range(protocol, port, endPort);
    }

    // ---- rules ----

    /** A rule with these peers and no ports: every port of every protocol. */
    public static PolicyRule peers(PolicyPeer... peers) {
        return new PolicyRule(List.of(peers), List.of());
    }

    /** A rule with these ports and no peers: every peer. */
    public static PolicyRule ports(PolicyPort... ports) {
        return new PolicyRule(List.of(), List.of(ports));
    }

    public static PolicyRule rule(List<PolicyPeer> peers, List<PolicyPort> ports) {
        return new PolicyRule(peers, ports);
    }

    /** {@code {}} as a rule: everything. */
    public static PolicyRule allowAll() {
        return PolicyRule.allowAll();
    }
}
