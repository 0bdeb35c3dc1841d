package io.nftpolicy.agent.reporting;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.crd.Timestamps;
import io.nftpolicy.snapshot.TierObjectReader;
import io.nftpolicy.tier.TierValidator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The condition nftpolicy sets on each ClusterNetworkPolicy: whether it enforces the policy as written, and what
 * it could not enforce. network-policy-api v0.3.0 makes the status a list of metav1.Conditions keyed by type and
 * leaves their meaning to each implementation, so the type carries nftpolicy's domain and leaves the conditions of
 * other implementations alone.
 *
 * <ul>
 *   <li>{@code True}, reason {@value #REASON_ACCEPTED}: every field is enforced;</li>
 *   <li>{@code False}, reason {@value #REASON_UNSUPPORTED}: every problem is a {@code domainNames} peer, which
 *       nftpolicy does not implement (those rules fail closed);</li>
 *   <li>{@code False}, reason {@value #REASON_INVALID}: some field is invalid (the rule, or the policy, fails
 *       closed as {@link TierValidator} says).</li>
 * </ul>
 * The message lists the problems as the node's NodePolicyStatus and the InvalidObject Events word them (field:
 * reason (effect)), joined with "; ". {@code observedGeneration} is the policy's generation that was judged.
 *
 * <p>The judgement is {@link TierValidator}'s alone, the same on every node, so one agent can write it for all.
 */
public final class AcceptedCondition {
    public static final String TYPE = "nftpolicy.io/Accepted";
    public static final String REASON_ACCEPTED = "Accepted";
    public static final String REASON_UNSUPPORTED = "UnsupportedField";
    public static final String REASON_INVALID = "InvalidField";
    /** metav1.Condition's limit on message. */
    static final int MAX_MESSAGE = 32768;
    private static final String DOMAIN_NAMES = ".domainNames";

    private AcceptedCondition() {}

    /**
     * The condition the policy should carry now. Its lastTransitionTime is {@code now}, or that of {@code current}
     * when the status is the same.
     *
     * @param policy  the ClusterNetworkPolicy object as the API serves it
     * @param current the condition of {@link #TYPE} it carries, if any
     */
    public static Condition of(JsonNode policy, Optional<Condition> current, Instant now) {
        List<Diagnostic> problems = new ArrayList<>();
        TierValidator.validate(TierObjectReader.clusterPolicy(policy), problems);
        String status;
        String reason;
        String message;
        if (problems.isEmpty()) {
            status = "True";
            reason = REASON_ACCEPTED;
            message = "nftpolicy enforces every rule as written";
        } else {
            status = "False";
            reason = problems.stream().allMatch(d -> d.field().endsWith(DOMAIN_NAMES)) ? REASON_UNSUPPORTED
                    : REASON_INVALID;
            message = problems.stream()
                    .map(d -> d.field() + ": " + d.reasonAndEffect())
                    .distinct()
                    .collect(Collectors.joining("; "));
            if (message.length() > MAX_MESSAGE) {
                message = message.substring(0, MAX_MESSAGE - 3) + "...";
            }
        }
        JsonNode generation = policy.path("metadata").path("generation");
        String since = current.filter(c -> status.equals(c.getStatus()) && c.getLastTransitionTime() != null)
                .map(Condition::getLastTransitionTime).orElse(Timestamps.rfc3339Seconds(now));
        return new ConditionBuilder()
                .withType(TYPE)
                .withStatus(status)
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(generation.isIntegralNumber() ? generation.asLong() : null)
                .withLastTransitionTime(since)
                .build();
    }

    /** Whether writing {@code desired} over {@code current} would change what a reader sees (times aside). */
    public static boolean differs(Optional<Condition> current, Condition desired) {
        return current.map(c -> !Objects.equals(c.getStatus(), desired.getStatus())
                        || !Objects.equals(c.getReason(), desired.getReason())
                        || !Objects.equals(c.getMessage(), desired.getMessage())
                        || !Objects.equals(c.getObservedGeneration(), desired.getObservedGeneration()))
                .orElse(true);
    }
}
