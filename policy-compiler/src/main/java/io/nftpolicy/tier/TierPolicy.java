package io.nftpolicy.tier;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpRange;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.selector.Selector;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A validated ClusterNetworkPolicy, in the terms the compiler places it by: its tier and priority, the pods it is
 * about, and per direction its rules in the order written. Parts that failed validation are already replaced by
 * what failing closed means for them (see {@link TierValidator}).
 *
 * @param name     metadata.name
 * @param priority spec.priority; -1 for a policy whose tier or priority is invalid, which is placed before every
 *                 valid Admin policy as a Deny of everything
 */
public record TierPolicy(String name, Tier tier, int priority, Subject subject, Map<PolicyType, List<TierRule>> rules) {
    public TierPolicy {
        rules = Map.copyOf(rules);
    }

    public List<TierRule> rules(PolicyType direction) {
        return rules.getOrDefault(direction, List.of());
    }

    public String ref() {
        return "cnp/" + name;
    }

    public enum Tier { ADMIN("Admin"), BASELINE("Baseline");
        private final String text;

        Tier(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    public enum Action { ACCEPT("Accept"), DENY("Deny"), PASS("Pass");
        private final String text;

        Action(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** The subject: pods of the namespaces the first selects, that the second (when present) selects. */
    public record Subject(Selector namespaces, Optional<Selector> pods) {}

    /**
     * One rule.
     *
     * @param index     its position in spec.ingress or spec.egress
     * @param peers     empty for a rule that matches every peer (a Deny or Pass failing closed)
     * @param ports     empty when the rule matches every protocol and port
     * @param anyPeer   the rule matches every source or destination: it failed closed
     */
    public record TierRule(int index, Action action, List<TierPeer> peers, List<TierPort> ports, boolean anyPeer) {
        public TierRule {
            peers = List.copyOf(peers);
            ports = List.copyOf(ports);
        }
    }

    /** A peer the compiler can resolve to addresses. */
    public sealed interface TierPeer {
        /** The peer's position in from or to. */
        int index();
    }

    /** Pods of the namespaces the first selects that the second (when present) selects; never host-network. */
    public record PodsPeer(int index, Selector namespaces, Optional<Selector> pods) implements TierPeer {}

    /** CIDRs, each family's ranges merged and disjoint. */
    public record NetworksPeer(int index, List<IpRange> ranges) implements TierPeer {}

    /** The addresses of the nodes the selector selects. */
    public record NodesPeer(int index, Selector nodes) implements TierPeer {}

    /** A protocol and port, or a named port resolved on the destination pod. */
    public sealed interface TierPort {}

    /** One protocol on ports first..last (1..65535 for every port). */
    public record NumberedPort(Protocol protocol, int first, int last) implements TierPort {}

    /** destinationNamedPort: the number, and protocol, the destination pod's container port of that name has. */
    public record NamedPort(String name) implements TierPort {}
}
