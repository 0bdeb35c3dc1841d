package io.nftpolicy.policy;

import java.util.List;

/**
 * One ingress or egress rule: traffic matching any peer AND any port is allowed. An empty peer list means all
 * peers; an empty port list means all ports of all protocols (absent and [] mean the same here).
 */
public record PolicyRule(List<PolicyPeer> peers, List<PolicyPort> ports) {
    public PolicyRule {
        peers = List.copyOf(peers == null ? List.of() : peers);
        ports = List.copyOf(ports == null ? List.of() : ports);
    }

    /** {@code {}}: allows everything. */
    public static PolicyRule allowAll() {
        return new PolicyRule(List.of(), List.of());
    }
}
