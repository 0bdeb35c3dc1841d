package io.nftpolicy.compile;

import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.selector.Selector;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A policy after validation. An invalid policy still has a subject selector and directions (it keeps its pods
 * isolated: fail closed) but no rules.
 */
record ValidPolicy(String namespace, String name, Selector podSelector, Set<PolicyType> directions,
                   Map<PolicyType, List<AllowRule>> rules, boolean valid) {

    String ref() {
        return namespace + "/" + name;
    }

    List<AllowRule> rules(PolicyType direction) {
        return rules.getOrDefault(direction, List.of());
    }
}
