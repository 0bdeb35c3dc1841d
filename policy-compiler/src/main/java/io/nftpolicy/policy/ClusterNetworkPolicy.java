package io.nftpolicy.policy;

import java.util.List;
import java.util.Objects;

/**
 * A ClusterNetworkPolicy (policy.networking.k8s.io v1alpha2 and v1beta1 of sigs.k8s.io/network-policy-api v0.3.0,
 * whose schemas are the same), with its values as written: the compiler validates them and reports errors per
 * policy and field. A field the object leaves out is null (or an empty list).
 *
 * @param tier     spec.tier: Admin or Baseline
 * @param priority spec.priority, 0 to 1000, lower first; null when absent
 * @param subject  spec.subject
 * @param ingress  spec.ingress, in the order written (the order they are evaluated)
 * @param egress   spec.egress, likewise
 */
public record ClusterNetworkPolicy(String name, String tier, Integer priority, Subject subject, List<Rule> ingress,
                                   List<Rule> egress) {
    public ClusterNetworkPolicy {
        Objects.requireNonNull(name, "name");
        ingress = List.copyOf(ingress == null ? List.of() : ingress);
        egress = List.copyOf(egress == null ? List.of() : egress);
    }

    /** {@code cnp/NAME}: how rule comments and messages name the policy. */
    public String ref() {
        return "cnp/" + name;
    }

    /** spec.subject: exactly one of its fields must be set. */
    public record Subject(LabelSelector namespaces, NamespacedPods pods) {
        public static Subject ofNamespaces(LabelSelector namespaces) {
            return new Subject(namespaces, null);
        }

        public static Subject ofPods(LabelSelector namespaceSelector, LabelSelector podSelector) {
            return new Subject(null, new NamespacedPods(namespaceSelector, podSelector));
        }
    }

    /** namespaceSelector AND podSelector; an empty selector selects all. */
    public record NamespacedPods(LabelSelector namespaceSelector, LabelSelector podSelector) {}

    /**
     * One ingress or egress rule.
     *
     * @param action    Accept, Deny or Pass
     * @param peers     from (ingress) or to (egress)
     * @param protocols empty when the rule matches every protocol and port
     */
    public record Rule(String name, String action, List<Peer> peers, List<Protocol> protocols) {
        public Rule {
            name = name == null ? "" : name;
            peers = List.copyOf(peers == null ? List.of() : peers);
            protocols = List.copyOf(protocols == null ? List.of() : protocols);
        }

        /** An unnamed rule. */
        public static Rule of(String action, List<Peer> peers, Protocol... protocols) {
            return new Rule("", action, peers, List.of(protocols));
        }
    }

    /**
     * One peer: exactly one field must be set. {@code nodes}, {@code networks} and {@code domainNames} are egress
     * peers only.
     *
     * @param unknownFields names of fields the object sets that this version does not know (a newer CRD)
     */
    public record Peer(LabelSelector namespaces, NamespacedPods pods, LabelSelector nodes, List<String> networks,
                       List<String> domainNames, List<String> unknownFields) {
        public Peer {
            networks = networks == null ? null : List.copyOf(networks);
            domainNames = domainNames == null ? null : List.copyOf(domainNames);
            unknownFields = List.copyOf(unknownFields == null ? List.of() : unknownFields);
        }

        public static Peer namespaces(LabelSelector selector) {
            return new Peer(selector, null, null, null, null, List.of());
        }

        public static Peer pods(LabelSelector namespaceSelector, LabelSelector podSelector) {
            return new Peer(null, new NamespacedPods(namespaceSelector, podSelector), null, null, null, List.of());
        }

        public static Peer nodes(LabelSelector selector) {
            return new Peer(null, null, selector, null, null, List.of());
        }

        public static Peer networks(List<String> cidrs) {
            return new Peer(null, null, null, cidrs, null, List.of());
        }

        public static Peer domainNames(List<String> names) {
            return new Peer(null, null, null, null, names, List.of());
        }
    }

    /**
     * One entry of protocols: exactly one of a protocol (TCP, UDP or SCTP, with its destinationPort) or a
     * destinationNamedPort.
     *
     * @param protocol  TCP, UDP, SCTP, or null with a named port
     * @param port      destinationPort.number; null when absent
     * @param rangeStart destinationPort.range.start; null when absent
     * @param rangeEnd   destinationPort.range.end; null when absent
     * @param namedPort destinationNamedPort; null when absent
     */
    public record Protocol(String protocol, Integer port, Integer rangeStart, Integer rangeEnd, String namedPort) {
        public static Protocol port(String protocol, int port) {
            return new Protocol(protocol, port, null, null, null);
        }

        public static Protocol range(String protocol, int start, int end) {
            return new Protocol(protocol, null, start, end, null);
        }

        public static Protocol named(String name) {
            return new Protocol(null, null, null, null, name);
        }
    }
}
