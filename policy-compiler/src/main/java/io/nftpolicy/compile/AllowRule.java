package io.nftpolicy.compile;

import java.util.List;

/**
 * A validated rule. Empty peers: every peer. Empty ports: every port of every protocol.
 *
 * @param index the rule's position in spec.ingress or spec.egress, for provenance
 */
record AllowRule(int index, List<AllowedPeer> peers, List<AllowedPort> ports) {}
