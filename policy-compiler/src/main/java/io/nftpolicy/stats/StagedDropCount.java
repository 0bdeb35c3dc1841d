package io.nftpolicy.stats;

import io.nftpolicy.policy.PolicyType;
import java.util.List;

/**
 * What a staged policy would have dropped of one local pod's traffic in one direction: the packets that no rule of
 * the policies selecting the pod, staged or enforced, would allow.
 *
 * @param policy     namespace/name of the staged policy
 * @param pod        namespace/name
 * @param isolatedBy every policy (namespace/name) that would select the pod in this direction, staged or enforced
 */
public record StagedDropCount(String policy, String pod, PolicyType direction, List<String> isolatedBy, long packets,
                              long bytes) {
    public StagedDropCount {
        isolatedBy = List.copyOf(isolatedBy);
    }
}
