package io.nftpolicy.compile;

import io.nftpolicy.cluster.KubernetesNames;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.IpBlock;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.selector.Selector;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a NetworkPolicy the way the API server's validation does and turns it into {@link ValidPolicy}. Objects
 * read from files never passed an API server, so nothing is taken on trust; every problem is reported with its
 * field path.
 */
final class PolicyValidator {
    static final String KIND = "NetworkPolicy";

    private PolicyValidator() {}

    static ValidPolicy validate(NetworkPolicy policy, List<Diagnostic> diagnostics) {
        try {
            return check(policy, diagnostics);
        } catch (RuntimeException e) {
            // A shape no check foresaw: this policy's failure, never the node's.
            diagnostics.add(new Diagnostic(KIND, policy.ref(), "spec", "could not be read (internal error: " + e + ")",
                    failClosedEffect(false, policy.namespace(), EnumSet.allOf(PolicyType.class))));
            return new ValidPolicy(policy.namespace(), policy.name(), Selector.all(), EnumSet.allOf(PolicyType.class),
                    Map.of(), false);
        }
    }

    private static ValidPolicy check(NetworkPolicy policy, List<Diagnostic> diagnostics) {
        List<Diagnostic> problems = new ArrayList<>();
        Reporter report = (field, reason) -> problems.add(new Diagnostic(KIND, policy.ref(), field, reason, ""));

        Selector subject = selector(policy.podSelector(), "spec.podSelector", report);
        boolean subjectKnown = subject != null;
        Set<PolicyType> directions = directions(policy, report);
        boolean directionsKnown = directions != null;

        Map<PolicyType, List<AllowRule>> rules = new EnumMap<>(PolicyType.class);
        for (PolicyType direction : PolicyType.values()) {
            List<AllowRule> valid = new ArrayList<>();
            List<PolicyRule> raw = policy.rules(direction);
            for (int r = 0; r < raw.size(); r++) {
                rule(policy, direction, r, raw.get(r), report).ifPresent(valid::add);
            }
            rules.put(direction, List.copyOf(valid));
        }

        if (problems.isEmpty()) {
            return new ValidPolicy(policy.namespace(), policy.name(), subject, directions, rules, true);
        }
        // Fail closed: keep isolating whatever the policy would isolate, grant nothing.
        Set<PolicyType> isolated = directionsKnown ? directions : EnumSet.allOf(PolicyType.class);
        String effect = failClosedEffect(subjectKnown, policy.namespace(), isolated);
        for (Diagnostic d : problems) {
            diagnostics.add(new Diagnostic(d.kind(), d.object(), d.field(), d.reason(), effect));
        }
        return new ValidPolicy(policy.namespace(), policy.name(), subjectKnown ? subject : Selector.all(), isolated,
                Map.of(), false);
    }

    /** What is done about a policy that cannot be enforced. */
    static String failClosedEffect(boolean subjectKnown, String namespace, Set<PolicyType> isolated) {
        return "policy not enforced; "
                + (subjectKnown ? "the pods it selects" : "every pod of namespace " + namespace)
                + " stay isolated for " + describe(isolated) + " (fail closed)";
    }

    private static String describe(Set<PolicyType> directions) {
        return directions.size() == 2 ? "ingress and egress" : directions.iterator().next().field();
    }

    /** policyTypes absent: Ingress always, Egress when there are egress rules (the API server's defaulting). */
    private static Set<PolicyType> directions(NetworkPolicy policy, Reporter report) {
        if (policy.policyTypes().isEmpty()) {
            Set<PolicyType> defaulted = EnumSet.of(PolicyType.INGRESS);
            if (!policy.egress().isEmpty()) {
                defaulted.add(PolicyType.EGRESS);
            }
            return defaulted;
        }
        Set<PolicyType> types = EnumSet.noneOf(PolicyType.class);
        boolean ok = true;
        for (int i = 0; i < policy.policyTypes().size(); i++) {
            String t = policy.policyTypes().get(i);
            Optional<PolicyType> parsed = java.util.Arrays.stream(PolicyType.values())
                    .filter(p -> p.kubernetesName().equals(t)).findFirst();
            if (parsed.isEmpty()) {
                report.problem("spec.policyTypes[" + i + "]", "unknown policy type \"" + t + "\" (expected Ingress or Egress)");
                ok = false;
            } else {
                types.add(parsed.get());
            }
        }
        return ok ? types : null;
    }

    private static Optional<AllowRule> rule(NetworkPolicy policy, PolicyType direction, int index, PolicyRule rule,
                                            Reporter report) {
        String field = "spec." + direction.field() + "[" + index + "]";
        boolean ok = true;
        List<AllowedPeer> peers = new ArrayList<>();
        for (int i = 0; i < rule.peers().size(); i++) {
            Optional<AllowedPeer> peer = peer(policy, rule.peers().get(i), field + "." + direction.peersField() + "[" + i + "]", report);
            ok &= peer.isPresent();
            peer.ifPresent(peers::add);
        }
        List<AllowedPort> ports = new ArrayList<>();
        for (int i = 0; i < rule.ports().size(); i++) {
            Optional<AllowedPort> port = port(rule.ports().get(i), field + ".ports[" + i + "]", report);
            ok &= port.isPresent();
            port.ifPresent(ports::add);
        }
        return ok ? Optional.of(new AllowRule(index, List.copyOf(peers), List.copyOf(ports))) : Optional.empty();
    }

    private static Optional<AllowedPeer> peer(NetworkPolicy policy, PolicyPeer peer, String field, Reporter report) {
        boolean hasSelector = peer.podSelector().isPresent() || peer.namespaceSelector().isPresent();
        if (peer.ipBlock().isPresent()) {
            if (hasSelector) {
                report.problem(field, "ipBlock cannot be combined with podSelector or namespaceSelector");
                return Optional.empty();
            }
            IpBlock block = peer.ipBlock().get();
            String description = block.cidr() + (block.except().isEmpty() ? "" : " except " + String.join(", ", block.except()));
            return ipBlock(block, field + ".ipBlock", report).map(ranges -> new AllowedPeer.Block(ranges, description));
        }
        if (!hasSelector) {
            report.problem(field, "must specify one of podSelector, namespaceSelector or ipBlock");
            return Optional.empty();
        }
        Optional<Selector> pods = peer.podSelector().map(s -> selector(s, field + ".podSelector", report));
        Optional<Selector> namespaces = peer.namespaceSelector().map(s -> selector(s, field + ".namespaceSelector", report));
        if ((peer.podSelector().isPresent() && pods.isEmpty()) || (peer.namespaceSelector().isPresent() && namespaces.isEmpty())) {
            return Optional.empty();
        }
        return Optional.of(new AllowedPeer.Pods(policy.namespace(), pods, namespaces));
    }

    static Optional<List<IpRange>> ipBlock(IpBlock block, String field, Reporter report) {
        IpRange cidr;
        try {
            cidr = Cidr.parse(block.cidr());
        } catch (IllegalArgumentException e) {
            report.problem(field + ".cidr", e.getMessage());
            return Optional.empty();
        }
        List<IpRange> excepts = new ArrayList<>();
        boolean ok = true;
        for (int i = 0; i < block.except().size(); i++) {
            String text = block.except().get(i);
            String exceptField = field + ".except[" + i + "]";
            try {
                IpRange except = Cidr.parse(text);
                // The API server demands a strict subset: an except equal to the cidr would make the peer empty.
                if (!cidr.contains(except) || except.equals(cidr)) {
                    report.problem(exceptField, "\"" + text + "\" is not strictly inside cidr " + block.cidr());
                    ok = false;
                } else {
                    excepts.add(except);
                }
            } catch (IllegalArgumentException e) {
                report.problem(exceptField, e.getMessage());
                ok = false;
            }
        }
        return ok ? Optional.of(IpRanges.subtract(cidr, excepts)) : Optional.empty();
    }

    private static Optional<AllowedPort> port(PolicyPort port, String field, Reporter report) {
        String protocolText = port.protocol().orElse("TCP");
        Optional<Protocol> protocol = Protocol.fromKubernetes(protocolText);
        if (protocol.isEmpty()) {
            report.problem(field + ".protocol", "unsupported protocol \"" + protocolText + "\" (expected TCP, UDP or SCTP)");
            return Optional.empty();
        }
        Protocol proto = protocol.get();
        if (port.port().isEmpty()) {
            if (port.endPort().isPresent()) {
                report.problem(field + ".endPort", "endPort needs a numeric port");
                return Optional.empty();
            }
            return Optional.of(new AllowedPort.Range(proto, 0, 65535));
        }
        PolicyPort.PortRef ref = port.port().get();
        if (ref instanceof PolicyPort.PortRef.Named named) {
            if (port.endPort().isPresent()) {
                report.problem(field + ".endPort", "endPort cannot be used with a named port (\"" + named.name() + "\")");
                return Optional.empty();
            }
            if (KubernetesNames.portName(named.name()).isPresent()) {
                report.problem(field + ".port", KubernetesNames.quote(named.name())
                        + " is neither a port number nor a valid port name");
                return Optional.empty();
            }
            return Optional.of(new AllowedPort.Named(proto, named.name()));
        }
        int number = ((PolicyPort.PortRef.Number) ref).value();
        if (number < 1 || number > 65535) {
            report.problem(field + ".port", "port " + number + " is outside 1-65535");
            return Optional.empty();
        }
        if (port.endPort().isEmpty()) {
            return Optional.of(new AllowedPort.Range(proto, number, number));
        }
        int end = port.endPort().get();
        if (end < number) {
            report.problem(field + ".endPort", "endPort " + end + " is below port " + number);
            return Optional.empty();
        }
        if (end > 65535) {
            report.problem(field + ".endPort", "endPort " + end + " is above 65535");
            return Optional.empty();
        }
        return Optional.of(new AllowedPort.Range(proto, number, end));
    }

    private static Selector selector(LabelSelector selector, String field, Reporter report) {
        List<Selector.Problem> problems = new ArrayList<>();
        Selector compiled = Selector.compile(selector, problems);
        problems.forEach(p -> report.problem(field + "." + p.field(), p.reason()));
        return problems.isEmpty() ? compiled : null;
    }

    @FunctionalInterface
    interface Reporter {
        void problem(String field, String reason);
    }
}
