package io.nftpolicy.tier;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.selector.Selector;
import io.nftpolicy.tier.TierPolicy.Action;
import io.nftpolicy.tier.TierPolicy.TierPeer;
import io.nftpolicy.tier.TierPolicy.TierPort;
import io.nftpolicy.tier.TierPolicy.TierRule;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Validates ClusterNetworkPolicy objects as the CRD's schema would, reporting each problem with the policy's name and
 * the field's path. What cannot be enforced as written fails closed, as the API says for a peer it does not know:
 * <ul>
 *   <li>a rule with a peer that is invalid, unknown, or a {@code domainNames} peer (not supported by nftpolicy), or
 *       with an invalid protocol entry: an Accept rule matches nothing; a Deny or Pass rule denies everything;</li>
 *   <li>a rule whose action is not Accept, Deny or Pass denies everything;</li>
 *   <li>a policy whose tier or priority is invalid denies everything to and from its subject, before every valid
 *       Admin policy (in the directions it has rules for, both when it has none);</li>
 *   <li>a policy whose subject is invalid selects no pod: it cannot say which pods it would fail closed for.</li>
 * </ul>
 * Stateless.
 */
public final class TierValidator {
    static final String KIND = "ClusterNetworkPolicy";
    private static final int MAX_PRIORITY = 1000;

    private TierValidator() {}

    /** The policy as the compiler places it; empty when its subject is invalid (it selects no pod). */
    public static Optional<TierPolicy> validate(ClusterNetworkPolicy policy, List<Diagnostic> diagnostics) {
        Problems problems = new Problems(policy.name(), diagnostics);
        Optional<TierPolicy.Subject> subject = subject(policy.subject(), problems);
        if (subject.isEmpty()) {
            return Optional.empty();
        }
        TierPolicy.Tier tier = tier(policy.tier(), problems);
        Integer priority = policy.priority();
        boolean placed = tier != null;
        if (priority == null) {
            problems.add("spec.priority", "is missing", "denies all traffic of its subject, before every Admin policy");
            placed = false;
        } else if (priority < 0 || priority > MAX_PRIORITY) {
            problems.add("spec.priority", priority + " is outside 0.." + MAX_PRIORITY,
                    "denies all traffic of its subject, before every Admin policy");
            placed = false;
        }
        Map<PolicyType, List<TierRule>> rules = new EnumMap<>(PolicyType.class);
        if (!placed) {
            boolean none = policy.ingress().isEmpty() && policy.egress().isEmpty();
            for (PolicyType direction : PolicyType.values()) {
                if (none || !rulesOf(policy, direction).isEmpty()) {
                    rules.put(direction, List.of(new TierRule(0, Action.DENY, List.of(), List.of(), true)));
                }
            }
            return Optional.of(new TierPolicy(policy.name(), TierPolicy.Tier.ADMIN, -1, subject.get(), rules));
        }
        for (PolicyType direction : PolicyType.values()) {
            List<ClusterNetworkPolicy.Rule> raw = rulesOf(policy, direction);
            List<TierRule> valid = new ArrayList<>();
            for (int i = 0; i < raw.size(); i++) {
                rule(direction, i, raw.get(i), problems).ifPresent(valid::add);
            }
            if (!raw.isEmpty()) {
                rules.put(direction, valid);
            }
        }
        return Optional.of(new TierPolicy(policy.name(), tier, priority, subject.get(), rules));
    }

    private static List<ClusterNetworkPolicy.Rule> rulesOf(ClusterNetworkPolicy policy, PolicyType direction) {
        return direction == PolicyType.INGRESS ? policy.ingress() : policy.egress();
    }

    private static TierPolicy.Tier tier(String text, Problems problems) {
        for (TierPolicy.Tier tier : TierPolicy.Tier.values()) {
            if (tier.text().equals(text)) {
                return tier;
            }
        }
        problems.add("spec.tier", text == null ? "is missing" : "unknown tier \"" + text + "\" (expected Admin or Baseline)",
                "denies all traffic of its subject, before every Admin policy");
        return null;
    }

    private static Optional<TierPolicy.Subject> subject(ClusterNetworkPolicy.Subject subject, Problems problems) {
        String effect = "selects no pod";
        if (subject == null || (subject.namespaces() == null) == (subject.pods() == null)) {
            problems.add("spec.subject", "exactly one of namespaces or pods must be set", effect);
            return Optional.empty();
        }
        if (subject.namespaces() != null) {
            return selector(subject.namespaces(), "spec.subject.namespaces", problems, effect)
                    .map(ns -> new TierPolicy.Subject(ns, Optional.empty()));
        }
        Optional<Selector> namespaces = selector(orAll(subject.pods().namespaceSelector()),
                "spec.subject.pods.namespaceSelector", problems, effect);
        Optional<Selector> pods = selector(orAll(subject.pods().podSelector()), "spec.subject.pods.podSelector",
                problems, effect);
        if (namespaces.isEmpty() || pods.isEmpty()) {
            return Optional.empty();
        }
        // An empty podSelector is no podSelector: one peer set, one group key for both spellings.
        return Optional.of(new TierPolicy.Subject(namespaces.get(), pods.filter(p -> !p.selectsAll())));
    }

    /** The rule, or empty for an Accept rule that fails closed (it matches nothing). */
    private static Optional<TierRule> rule(PolicyType direction, int index, ClusterNetworkPolicy.Rule rule,
                                           Problems problems) {
        String path = "spec." + direction.field() + "[" + index + "]";
        Action action = null;
        for (Action a : Action.values()) {
            if (a.text().equals(rule.action())) {
                action = a;
            }
        }
        if (action == null) {
            problems.add(path + ".action", rule.action() == null ? "is missing"
                    : "unknown action \"" + rule.action() + "\" (expected Accept, Deny or Pass)", "denies everything");
            return Optional.of(new TierRule(index, Action.DENY, List.of(), List.of(), true));
        }
        String effect = action == Action.ACCEPT ? "the rule matches nothing" : "the rule denies everything";
        String peersField = path + "." + direction.peersField();
        boolean failed = false;
        List<TierPeer> peers = new ArrayList<>();
        if (rule.peers().isEmpty()) {
            problems.add(peersField, "must name at least one peer", effect);
            failed = true;
        }
        for (int i = 0; i < rule.peers().size() && !failed; i++) {
            Optional<TierPeer> peer = peer(direction, i, rule.peers().get(i), peersField + "[" + i + "]", problems, effect);
            peer.ifPresent(peers::add);
            failed = peer.isEmpty();
        }
        List<TierPort> ports = new ArrayList<>();
        for (int i = 0; i < rule.protocols().size() && !failed; i++) {
            Optional<TierPort> port = port(rule.protocols().get(i), path + ".protocols[" + i + "]", problems, effect);
            port.ifPresent(ports::add);
            failed = port.isEmpty();
        }
        if (failed) {
            return action == Action.ACCEPT ? Optional.empty()
                    : Optional.of(new TierRule(index, Action.DENY, List.of(), List.of(), true));
        }
        return Optional.of(new TierRule(index, action, peers, ports, false));
    }

    private static Optional<TierPeer> peer(PolicyType direction, int index, ClusterNetworkPolicy.Peer peer, String path,
                                           Problems problems, String effect) {
        if (!peer.unknownFields().isEmpty()) {
            problems.add(path, "unknown peer field " + String.join(", ", peer.unknownFields())
                    + " (a newer CRD than nftpolicy knows)", effect);
            return Optional.empty();
        }
        int set = (peer.namespaces() != null ? 1 : 0) + (peer.pods() != null ? 1 : 0) + (peer.nodes() != null ? 1 : 0)
                + (peer.networks() != null ? 1 : 0) + (peer.domainNames() != null ? 1 : 0);
        if (set != 1) {
            problems.add(path, "exactly one of namespaces, pods" + (direction == PolicyType.EGRESS
                    ? ", nodes, networks or domainNames" : "") + " must be set, found " + set, effect);
            return Optional.empty();
        }
        if (peer.namespaces() != null) {
            return selector(peer.namespaces(), path + ".namespaces", problems, effect)
                    .map(ns -> new TierPolicy.PodsPeer(index, ns, Optional.empty()));
        }
        if (peer.pods() != null) {
            Optional<Selector> ns = selector(orAll(peer.pods().namespaceSelector()), path + ".pods.namespaceSelector",
                    problems, effect);
            Optional<Selector> pods = selector(orAll(peer.pods().podSelector()), path + ".pods.podSelector", problems,
                    effect);
            if (ns.isEmpty() || pods.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new TierPolicy.PodsPeer(index, ns.get(), pods.filter(p -> !p.selectsAll())));
        }
        if (direction == PolicyType.INGRESS) {
            problems.add(path, "only namespaces and pods peers are allowed in ingress rules", effect);
            return Optional.empty();
        }
        if (peer.domainNames() != null) {
            problems.add(path + ".domainNames", "not supported by nftpolicy (treated as a peer it does not know)",
                    effect);
            return Optional.empty();
        }
        if (peer.nodes() != null) {
            return selector(peer.nodes(), path + ".nodes", problems, effect).map(n -> new TierPolicy.NodesPeer(index, n));
        }
        if (peer.networks().isEmpty()) {
            problems.add(path + ".networks", "must name at least one CIDR", effect);
            return Optional.empty();
        }
        List<IpRange> ranges = new ArrayList<>();
        for (int i = 0; i < peer.networks().size(); i++) {
            try {
                ranges.add(Cidr.parse(peer.networks().get(i)));
            } catch (IllegalArgumentException e) {
                problems.add(path + ".networks[" + i + "]", e.getMessage(), effect);
                return Optional.empty();
            }
        }
        return Optional.of(new TierPolicy.NetworksPeer(index, Ranges.merge(ranges)));
    }

    private static Optional<TierPort> port(ClusterNetworkPolicy.Protocol protocol, String path, Problems problems,
                                           String effect) {
        boolean named = protocol.namedPort() != null;
        if (named == (protocol.protocol() != null)) {
            problems.add(path, "exactly one of tcp, udp, sctp or destinationNamedPort must be set", effect);
            return Optional.empty();
        }
        if (named) {
            if (protocol.namedPort().isEmpty()) {
                problems.add(path + ".destinationNamedPort", "is empty", effect);
                return Optional.empty();
            }
            return Optional.of(new TierPolicy.NamedPort(protocol.namedPort()));
        }
        Optional<Protocol> proto = Protocol.fromKubernetes(protocol.protocol().toUpperCase(Locale.ROOT));
        if (proto.isEmpty()) {
            problems.add(path, "unknown protocol \"" + protocol.protocol() + "\" (expected tcp, udp or sctp)", effect);
            return Optional.empty();
        }
        String field = path + "." + proto.get().nftName() + ".destinationPort";
        boolean number = protocol.port() != null;
        boolean range = protocol.rangeStart() != null || protocol.rangeEnd() != null;
        if (number == range) {
            problems.add(field, "exactly one of number or range must be set", effect);
            return Optional.empty();
        }
        if (number) {
            if (protocol.port() < 1 || protocol.port() > 65535) {
                problems.add(field + ".number", protocol.port() + " is outside 1..65535", effect);
                return Optional.empty();
            }
            return Optional.of(new TierPolicy.NumberedPort(proto.get(), protocol.port(), protocol.port()));
        }
        Integer start = protocol.rangeStart();
        Integer end = protocol.rangeEnd();
        if (start == null || end == null || start < 1 || end > 65535 || start >= end) {
            problems.add(field + ".range", "start " + start + " and end " + end
                    + " must be ports 1..65535 with start less than end", effect);
            return Optional.empty();
        }
        return Optional.of(new TierPolicy.NumberedPort(proto.get(), start, end));
    }

    private static LabelSelector orAll(LabelSelector selector) {
        return selector == null ? LabelSelector.all() : selector;
    }

    private static Optional<Selector> selector(LabelSelector raw, String path, Problems problems, String effect) {
        List<Selector.Problem> found = new ArrayList<>();
        Selector selector = Selector.compile(raw, found);
        found.forEach(p -> problems.add(path + "." + p.field(), p.reason(), effect));
        return found.isEmpty() ? Optional.of(selector) : Optional.empty();
    }

    private record Problems(String policy, List<Diagnostic> diagnostics) {
        void add(String field, String reason, String effect) {
            diagnostics.add(new Diagnostic(KIND, policy, field, reason, effect));
        }
    }
}
