package io.nftpolicy.policy;

import java.util.Optional;

/**
 * One entry of a rule's from/to list. podSelector and namespaceSelector in one peer are ANDed; ipBlock stands alone
 * (validation rejects a peer that mixes it with selectors, or that has none of the three).
 */
public record PolicyPeer(
        Optional<LabelSelector> podSelector, Optional<LabelSelector> namespaceSelector, Optional<IpBlock> ipBlock) {

    public static PolicyPeer pods(LabelSelector podSelector) {
        return new PolicyPeer(Optional.of(podSelector), Optional.empty(), Optional.empty());
    }

    public static PolicyPeer namespaces(LabelSelector namespaceSelector) {
        return new PolicyPeer(Optional.empty(), Optional.of(namespaceSelector), Optional.empty());
    }

    public static PolicyPeer podsInNamespaces(LabelSelector podSelector, LabelSelector namespaceSelector) {
        return new PolicyPeer(Optional.of(podSelector), Optional.of(namespaceSelector), Optional.empty());
    }

    public static PolicyPeer ipBlock(String cidr, String... except) {
        return new PolicyPeer(Optional.empty(), Optional.empty(), Optional.of(new IpBlock(cidr, java.util.List.of(except))));
    }
}
