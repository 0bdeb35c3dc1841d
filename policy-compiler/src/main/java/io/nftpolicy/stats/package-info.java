/**
 * What the kernel counted, told in the policies' own terms: the figures of the counters that {@code RuleCounters}
 * puts in a ruleset, read back from a node, mapped to the policy rule that allowed and to the pod that isolation
 * protected (docs/audit.md).
 */
package io.nftpolicy.stats;
