package io.nftpolicy.compile;

import io.nftpolicy.policy.PolicyType;
import java.util.ArrayList;
import java.util.List;

/**
 * Local pods that share one chain in one direction: the same policies select them and, for ingress, their named
 * ports resolve to the same numbers. The key is what they share, so a chain keeps its name while peers come and go
 * and only set elements change.
 */
final class PodGroup {
    final PolicyType direction;
    final String key;
    final List<ValidPolicy> policies;
    final List<ClusterIndex.Member> members = new ArrayList<>();

    PodGroup(PolicyType direction, String key, List<ValidPolicy> policies) {
        this.direction = direction;
        this.key = key;
        this.policies = policies;
    }

    /** Any member: for ingress they all resolve named ports the same way (it is part of the key). */
    ClusterIndex.Member representative() {
        return members.get(0);
    }
}
