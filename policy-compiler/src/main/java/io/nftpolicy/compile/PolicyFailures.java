package io.nftpolicy.compile;

import io.nftpolicy.policy.PolicyType;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Confines a failure to compile a group chain to the policies that caused it. A group chain is built from every
 * policy selecting its pods; when building it throws, each of those policies is compiled alone over the same pods,
 * and the ones that still throw are to blame (all of them, if none throws alone). A policy to blame is then compiled
 * as an invalid one: reported, its pods isolated in its directions with none of its allowances (fail closed), and
 * every other policy compiled as usual. One tenant's policy never stops the node's updates.
 */
final class PolicyFailures {
    private PolicyFailures() {}

    /**
     * A policy that could not be compiled.
     *
     * @param ref   namespace/name
     * @param field the narrowest field found to fail alone (a peer, a rule, or spec)
     * @param cause what was thrown
     */
    record Failure(String ref, String field, RuntimeException cause) {
        Diagnostic diagnostic(ValidPolicy policy) {
            return new Diagnostic(PolicyValidator.KIND, ref, field,
                    "could not be compiled (internal error: " + cause + ")",
                    PolicyValidator.failClosedEffect(true, policy.namespace(), policy.directions()));
        }
    }

    /** Thrown out of a compilation when a group chain failed: the compilation is to be run again without them. */
    static final class GroupFailed extends RuntimeException {
        final transient List<Failure> failures;

        GroupFailed(List<Failure> failures, RuntimeException cause) {
            super(cause);
            this.failures = List.copyOf(failures);
        }
    }

    /**
     * The failures to blame for {@code cause}, thrown while compiling {@code group}.
     *
     * @param compile compiles a group chain from scratch, with nothing shared, throwing as the failed attempt did
     * @throws RuntimeException {@code cause} itself when no policy that is still valid can be blamed
     */
    static GroupFailed blame(PodGroup group, RuntimeException cause, Consumer<PodGroup> compile) {
        List<Failure> failures = new ArrayList<>();
        List<ValidPolicy> candidates = group.policies.stream().filter(ValidPolicy::valid).toList();
        for (ValidPolicy policy : candidates) {
            RuntimeException alone = failure(group, policy, compile);
            if (alone != null) {
                failures.add(new Failure(policy.ref(), field(group, policy, compile), alone));
            }
        }
        if (failures.isEmpty()) {
            candidates.forEach(p -> failures.add(new Failure(p.ref(), "spec", cause)));
        }
        if (failures.isEmpty()) {
            throw cause;
        }
        return new GroupFailed(failures, cause);
    }

    /** The policy as compiled when it failed: no rules, its directions isolated. */
    static ValidPolicy failClosed(ValidPolicy policy) {
        return new ValidPolicy(policy.namespace(), policy.name(), policy.podSelector(), policy.directions(), Map.of(),
                false);
    }

    private static RuntimeException failure(PodGroup group, ValidPolicy policy, Consumer<PodGroup> compile) {
        PodGroup alone = new PodGroup(group.direction, group.key, List.of(policy));
        alone.members.addAll(group.members);
        try {
            compile.accept(alone);
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** The first rule of the policy that fails alone, and in it the first peer that fails alone. */
    private static String field(PodGroup group, ValidPolicy policy, Consumer<PodGroup> compile) {
        PolicyType direction = group.direction;
        for (AllowRule rule : policy.rules(direction)) {
            if (failure(group, withRules(policy, direction, rule), compile) == null) {
                continue;
            }
            String field = "spec." + direction.field() + "[" + rule.index() + "]";
            for (int i = 0; i < rule.peers().size(); i++) {
                AllowRule onePeer = new AllowRule(rule.index(), List.of(rule.peers().get(i)), rule.ports());
                if (failure(group, withRules(policy, direction, onePeer), compile) != null) {
                    return field + "." + direction.peersField() + "[" + i + "]";
                }
            }
            return field;
        }
        return "spec";
    }

    private static ValidPolicy withRules(ValidPolicy policy, PolicyType direction, AllowRule rule) {
        Map<PolicyType, List<AllowRule>> rules = new EnumMap<>(PolicyType.class);
        rules.put(direction, List.of(rule));
        return new ValidPolicy(policy.namespace(), policy.name(), policy.podSelector(), policy.directions(), rules, true);
    }
}
