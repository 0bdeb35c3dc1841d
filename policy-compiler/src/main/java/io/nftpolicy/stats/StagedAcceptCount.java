package io.nftpolicy.stats;

import io.nftpolicy.policy.PolicyType;

/**
 * What one peer of one rule of a staged policy would have let through on a node: the first packets of the
 * connections its staged rule counted (docs/audit.md, "Staged policies"). Whether the connection was allowed is the
 * enforced policies' business; this says the staged policy would allow it.
 *
 * @param policy namespace/name of the staged policy
 * @param rule   e.g. {@code ingress[0].from[1]}
 */
public record StagedAcceptCount(String policy, PolicyType direction, String rule, long packets, long bytes) {}
