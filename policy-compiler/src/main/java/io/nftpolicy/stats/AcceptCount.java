package io.nftpolicy.stats;

import io.nftpolicy.policy.PolicyType;
import java.util.List;

/**
 * What one peer of one policy rule let through on a node: the first packets of the connections the rules that name
 * it accepted.
 *
 * @param policy     namespace/name
 * @param rule       e.g. {@code ingress[0].from[1]}
 * @param sharedWith the other policy peers named by a rule that counted here (policies naming the same peer share
 *                   one rule, so its counter is theirs too)
 */
public record AcceptCount(String policy, PolicyType direction, String rule, long packets, long bytes,
                          List<String> sharedWith) {
    public AcceptCount {
        sharedWith = List.copyOf(sharedWith);
    }
}
