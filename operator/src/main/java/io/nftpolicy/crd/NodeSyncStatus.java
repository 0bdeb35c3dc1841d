package io.nftpolicy.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import java.util.List;

/**
 * What the node's agent last applied to the kernel, and whether it is healthy. Every field is absent until the
 * agent has something to say about it; {@code lastError} is absent whenever the last sync succeeded.
 *
 * @param appliedRulesetHash     digest of the ruleset now in the kernel (the same hash on two nodes: same ruleset)
 * @param appliedAt              when it was applied, RFC 3339 ({@link Timestamps#rfc3339})
 * @param counts                 sizes of what was applied
 * @param lastSyncDurationMillis duration of the last sync, from its first event to the kernel's answer
 * @param lastError              the last sync's failure; absent when it succeeded
 * @param invalidPolicies        every policy that was not enforced as written, with its reason; empty when none
 * @param objectProblems         pods, namespaces, nodes and ClusterNetworkPolicies with a field that was not used
 *                               as written (the first
 *                               {@link #MAX_OBJECT_PROBLEMS}); absent when none
 * @param conditions             Kubernetes-style conditions; {@code Ready} is True after a successful sync
 * @param heartbeatTime          when the agent last wrote this status; refreshed at least every
 *                               {@link #HEARTBEAT_INTERVAL}: older than two of them, the agent is not reporting and
 *                               Ready is not to be trusted (docs/agent.md, "Status a user can read")
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeSyncStatus(
        @JsonPropertyDescription("Digest of the nftables ruleset (table inet nftpolicy) last applied on the node.")
        String appliedRulesetHash,
        @JsonPropertyDescription("When that ruleset was applied (RFC 3339).")
        String appliedAt,
        @JsonPropertyDescription("Sizes of the applied ruleset and of its inputs.")
        RulesetCounts counts,
        @JsonPropertyDescription("Duration of the last sync in milliseconds (coalesced events to kernel commit).")
        Long lastSyncDurationMillis,
        @JsonPropertyDescription("The last sync's failure; absent when the last sync succeeded.")
        SyncError lastError,
        @JsonPropertyDescription("NetworkPolicies not enforced as written: their selected pods stay isolated "
                + "in the policy's directions (fail closed).")
        List<InvalidPolicy> invalidPolicies,
        @JsonPropertyDescription("Pods, namespaces, nodes and ClusterNetworkPolicies with a field not used as "
                + "written (an invalid label, port or name, an address two pods claim, an unsupported field such as "
                + "domainNames), at most 100, in kind and name order.")
        List<ObjectProblem> objectProblems,
        @JsonPropertyDescription("Conditions of the node's agent. Ready: True after a successful sync, Unknown "
                + "when the agent stopped or stopped reporting. DataplaneReady: False when bridged same-node traffic "
                + "bypasses nftables (br_netfilter missing or bridge-nf-call-iptables/-ip6tables 0).")
        List<Condition> conditions,
        @JsonPropertyDescription("When the agent last wrote this status (RFC 3339); refreshed at least every 30 s. "
                + "Older than 60 s: the agent is not reporting.")
        String heartbeatTime) {

    /** The longest time between two writes of a running agent. */
    public static final java.time.Duration HEARTBEAT_INTERVAL = java.time.Duration.ofSeconds(30);

    /** A status stays small whatever the number of broken pods. */
    public static final int MAX_OBJECT_PROBLEMS = 100;

    /** Without a heartbeat time. */
    public NodeSyncStatus(String appliedRulesetHash, String appliedAt, RulesetCounts counts,
                          Long lastSyncDurationMillis, SyncError lastError, List<InvalidPolicy> invalidPolicies,
                          List<ObjectProblem> objectProblems, List<Condition> conditions) {
        this(appliedRulesetHash, appliedAt, counts, lastSyncDurationMillis, lastError, invalidPolicies,
                objectProblems, conditions, null);
    }

    /** This status with other conditions and heartbeat time. */
    public NodeSyncStatus with(List<Condition> newConditions, String newHeartbeatTime) {
        return new NodeSyncStatus(appliedRulesetHash, appliedAt, counts, lastSyncDurationMillis, lastError,
                invalidPolicies, objectProblems, newConditions, newHeartbeatTime);
    }

    /** The condition of {@code type}, if present. */
    public java.util.Optional<Condition> condition(String type) {
        return conditions == null ? java.util.Optional.empty()
                : conditions.stream().filter(c -> c.type().equals(type)).findFirst();
    }

    public NodeSyncStatus {
        invalidPolicies = invalidPolicies == null ? null : List.copyOf(invalidPolicies);
        objectProblems = objectProblems == null || objectProblems.isEmpty() ? null : List.copyOf(objectProblems);
        conditions = conditions == null ? null : List.copyOf(conditions);
    }
}
