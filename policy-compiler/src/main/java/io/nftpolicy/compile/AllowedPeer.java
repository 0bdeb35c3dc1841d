package io.nftpolicy.compile;

import io.nftpolicy.net.IpRange;
import io.nftpolicy.selector.Selector;
import java.util.List;
import java.util.Optional;

/** A validated peer of a rule. */
sealed interface AllowedPeer {

    /**
     * Pods chosen by selectors. namespaces absent: the policy's own namespace. Both present: pods matching
     * podSelector in namespaces matching namespaceSelector (AND).
     */
    record Pods(String policyNamespace, Optional<Selector> pods, Optional<Selector> namespaces) implements AllowedPeer {}

    /**
     * An ipBlock: the cidr minus its excepts, already cut into disjoint ranges.
     *
     * @param description the block as written, e.g. {@code 172.17.0.0/16 except 172.17.1.0/24}
     */
    record Block(List<IpRange> ranges, String description) implements AllowedPeer {}
}
