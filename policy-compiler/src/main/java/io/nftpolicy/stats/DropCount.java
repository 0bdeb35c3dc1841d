package io.nftpolicy.stats;

import io.nftpolicy.policy.PolicyType;
import java.util.List;

/**
 * What isolation dropped of one local pod's traffic in one direction.
 *
 * @param pod        namespace/name
 * @param isolatedBy the policies (namespace/name) that select the pod in this direction
 */
public record DropCount(String pod, PolicyType direction, List<String> isolatedBy, long packets, long bytes) {
    public DropCount {
        isolatedBy = List.copyOf(isolatedBy);
    }
}
