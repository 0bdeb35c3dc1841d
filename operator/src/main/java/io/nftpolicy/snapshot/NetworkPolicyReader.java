package io.nftpolicy.snapshot;

import io.nftpolicy.policy.IpBlock;
import io.nftpolicy.policy.LabelSelector;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.policy.PolicyPeer;
import io.nftpolicy.policy.PolicyPort;
import io.nftpolicy.policy.PolicyRule;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * networking.k8s.io/v1 NetworkPolicy, as written: policyTypes stays empty when absent (the compiler applies the
 * defaulting), and the compiler validates the rest and reports its errors.
 */
final class NetworkPolicyReader {
    private NetworkPolicyReader() {}

    static void read(Field object, SnapshotBuilder into) {
        Field metadata = object.get("metadata");
        Field spec = object.get("spec");
        into.policies.add(new NetworkPolicy(
                SnapshotConverter.namespaceOr(metadata.get("namespace").string()),
                metadata.get("name").string(),
                selector(spec.get("podSelector")),
                spec.get("policyTypes").strings(),
                rules(spec.get("ingress"), "from"),
                rules(spec.get("egress"), "to"),
                NetworkPolicy.stagedBy(metadata.get("annotations").stringMap())));
    }

    /** A rule written as null ({@code - }) is an empty rule: it allows all, as {@code {}} does. */
    private static List<PolicyRule> rules(Field rules, String peersKey) {
        List<PolicyRule> out = new ArrayList<>();
        for (Field rule : rules.list()) {
            out.add(rule.absent() ? PolicyRule.allowAll() : new PolicyRule(peers(rule.get(peersKey)), ports(rule.get("ports"))));
        }
        return out;
    }

    private static List<PolicyPeer> peers(Field peers) {
        List<PolicyPeer> out = new ArrayList<>();
        for (Field peer : peers.list()) {
            Field block = peer.get("ipBlock");
            out.add(new PolicyPeer(
                    optionalSelector(peer.get("podSelector")),
                    optionalSelector(peer.get("namespaceSelector")),
                    block.absent() ? Optional.empty()
                            : Optional.of(new IpBlock(block.get("cidr").string(), block.get("except").strings()))));
        }
        return out;
    }

    private static List<PolicyPort> ports(Field ports) {
        List<PolicyPort> out = new ArrayList<>();
        for (Field port : ports.list()) {
            out.add(new PolicyPort(
                    Optional.ofNullable(port.get("protocol").string()),
                    port.get("port").portRef(),
                    Optional.ofNullable(port.get("endPort").integer())));
        }
        return out;
    }

    private static Optional<LabelSelector> optionalSelector(Field selector) {
        return selector.absent() ? Optional.empty() : Optional.of(selector(selector));
    }

    /** A selector as written; an absent spec.podSelector (invalid in the API) selects like {}, as Go decodes it. */
    private static LabelSelector selector(Field selector) {
        List<LabelSelector.Requirement> requirements = new ArrayList<>();
        for (Field requirement : selector.get("matchExpressions").list()) {
            if (!requirement.absent()) {
                requirements.add(new LabelSelector.Requirement(requirement.get("key").string(),
                        requirement.get("operator").string(), requirement.get("values").strings()));
            }
        }
        return new LabelSelector(selector.get("matchLabels").stringMap(), requirements);
    }
}
