package io.nftpolicy.enforcement;

import static io.nftpolicy.testing.Policies.labels;

import io.nftpolicy.policy.ClusterNetworkPolicy;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import io.nftpolicy.policy.ClusterNetworkPolicy.Protocol;
import io.nftpolicy.policy.ClusterNetworkPolicy.Rule;
import io.nftpolicy.policy.ClusterNetworkPolicy.Subject;
import io.nftpolicy.policy.LabelSelector;
import java.util.List;

/** ClusterNetworkPolicy objects for kernel tests, written the way the YAML reads. */
final class Tiers {
    private Tiers() {}

    static ClusterNetworkPolicy admin(String name, int priority, Subject subject, List<Rule> ingress, List<Rule> egress) {
        return new ClusterNetworkPolicy(name, "Admin", priority, subject, ingress, egress);
    }

    static ClusterNetworkPolicy baseline(String name, int priority, Subject subject, List<Rule> ingress,
                                         List<Rule> egress) {
        return new ClusterNetworkPolicy(name, "Baseline", priority, subject, ingress, egress);
    }

    /** The pods of namespace {@code ns}. */
    static Subject namespaceSubject(String ns) {
        return Subject.ofNamespaces(labels("ns=" + ns));
    }

    static Subject podSubject(String ns, String pod) {
        return Subject.ofPods(labels("ns=" + ns), labels("pod=" + pod));
    }

    static Rule accept(List<Peer> peers, Protocol... protocols) {
        return Rule.of("Accept", peers, protocols);
    }

    static Rule deny(List<Peer> peers, Protocol... protocols) {
        return Rule.of("Deny", peers, protocols);
    }

    static Rule pass(List<Peer> peers, Protocol... protocols) {
        return Rule.of("Pass", peers, protocols);
    }

    static List<Peer> fromNamespace(String ns) {
        return List.of(Peer.namespaces(labels("ns=" + ns)));
    }

    static List<Peer> fromPod(String ns, String pod) {
        return List.of(Peer.pods(labels("ns=" + ns), labels("pod=" + pod)));
    }

    static List<Peer> everyone() {
        return List.of(Peer.namespaces(LabelSelector.all()));
    }
}
