package io.nftpolicy.crd;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** Sizes of one node's applied ruleset ({@code table inet nftpolicy}) and of what it was compiled from. */
public record RulesetCounts(
        @JsonPropertyDescription("NetworkPolicies of the cluster compiled into the ruleset.")
        int policies,
        @JsonPropertyDescription("Pods of this node with an address, host-network pods excluded.")
        int localPods,
        @JsonPropertyDescription("Chains of the table.")
        int chains,
        @JsonPropertyDescription("Rules of the table, all chains together.")
        int rules,
        @JsonPropertyDescription("Named sets and verdict maps of the table.")
        int sets,
        @JsonPropertyDescription("Elements of all sets and maps together.")
        long setElements) {}
