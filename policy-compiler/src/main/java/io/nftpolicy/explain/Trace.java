package io.nftpolicy.explain;

import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.Rule;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.Source;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How one node's table decided on one packet at one hook: every rule the packet met, in order, with whether it
 * matched and why not, the chains it jumped to, and what decided.
 *
 * @param base       the hook's base chain as the packet went through it
 * @param verdict    what the table did with the packet
 * @param allowances every allow rule that matched on the way, in order: an egress rule returns, so a packet can be
 *                   allowed for egress and then still meet the destination's ingress chain
 * @param denial     the rule that dropped the packet, when one did
 * @param staged     what staged policies would do with the packet, one per staged chain it went through: apart
 *                   from the verdict, which they never change
 */
public record Trace(Packet packet, Hook hook, ChainRun base, Verdict verdict, List<Allowance> allowances,
                    Optional<Denial> denial, List<Staged> staged) {
    public Trace {
        Objects.requireNonNull(packet, "packet");
        Objects.requireNonNull(hook, "hook");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(verdict, "verdict");
        allowances = List.copyOf(allowances);
        Objects.requireNonNull(denial, "denial");
        staged = List.copyOf(staged);
    }

    public boolean accepted() {
        return verdict == Verdict.ACCEPT;
    }

    /** What a table finally does with a packet. */
    public enum Verdict { ACCEPT, DROP }

    /** How control left a chain. END: it ran out of rules (a jumped-to chain returns, a base chain applies its policy, accept). */
    public enum Exit { ACCEPT, DROP, RETURN, END }

    /**
     * One chain as the packet went through it.
     *
     * @param via   the verdict-map element that jumped here; empty for the base chain
     * @param rules the rules evaluated, in order; rules after the one that left the chain are not listed
     */
    public record ChainRun(Chain chain, Optional<Dispatch> via, List<RuleRun> rules, Exit exit) {
        public ChainRun {
            rules = List.copyOf(rules);
        }
    }

    /** A verdict-map lookup that found the packet's address: which map, which element, so which pod and chain. */
    public record Dispatch(String map, MapElement element) {
        /** The pod the element stands for (its comment), or its address when it has no comment. */
        public String subject() {
            return element.comment().isEmpty() ? element.key().toString() : element.comment();
        }
    }

    /**
     * One rule as the packet met it.
     *
     * @param position 1-based, within its chain
     * @param checks   its conditions in order, up to the first that failed (the kernel evaluates no further)
     * @param action   what it did when it matched ({@code accept}, {@code return}, {@code jump chain}); empty when it did not match
     * @param dispatch for a verdict-map rule, the element found
     * @param jumped   the chain it jumped to, as the packet went through it
     */
    public record RuleRun(int position, Rule rule, List<Check> checks, boolean matched, Optional<String> action,
                          Optional<Dispatch> dispatch, Optional<ChainRun> jumped) {
        public RuleRun {
            checks = List.copyOf(checks);
        }
    }

    /**
     * One condition of a rule.
     *
     * @param expression the condition as written, e.g. {@code ip saddr @peer-3fa2c1d0-v4}
     * @param reason     in words: what the packet's value was and where it was (not) found
     * @param set        the named set or map looked in, if any
     * @param element    the set element that matched, if any: its comment or sources say what it stands for
     */
    public record Check(String expression, boolean matched, String reason, Optional<String> set,
                        Optional<SetElement> element) {}

    /**
     * An allow rule that matched: an ingress rule accepts, an egress rule returns to the base chain.
     *
     * @param subject the pod whose chain it is (the dispatching element's comment)
     * @param rule    the rule that matched; for a rule over a run of ClusterNetworkPolicy rules, with the comment of
     *                the one of them that decided
     * @param sources the policy peers that allowed the packet: the matched element's own sources in a merged set,
     *                otherwise the rule's
     */
    public record Allowance(String chain, String subject, int position, Rule rule, List<Source> sources) {
        public Allowance {
            sources = List.copyOf(sources);
        }

        /** The direction the sources allow, when the rule has any. */
        public Optional<PolicyType> direction() {
            return sources.stream().map(Source::direction).findFirst();
        }
    }

    /**
     * The drop rule that ended a group chain: none of its allow rules matched.
     *
     * @param direction  the direction the subject is isolated in, when the rule says
     * @param isolatedBy the policies (namespace/name) that isolate the subject, as the rule names them
     */
    public record Denial(String chain, String subject, int position, Rule rule, Optional<PolicyType> direction,
                         List<String> isolatedBy) {
        public Denial {
            isolatedBy = List.copyOf(isolatedBy);
        }
    }

    /**
     * What a staged chain found: the packet would be allowed (by {@code sources}) or denied if the staged policies
     * were enforced.
     *
     * @param subject  the pod whose staged chain it is
     * @param staged   the staged policies (namespace/name) of the chain
     * @param policies every policy the chain stands for, staged or enforced, as its comment names them
     * @param rule     the rule that counted: a would-allow rule, or the would-deny lookup
     */
    public record Staged(String chain, String subject, PolicyType direction, List<String> staged,
                         List<String> policies, boolean wouldAllow, int position, Rule rule, List<Source> sources) {
        public Staged {
            staged = List.copyOf(staged);
            policies = List.copyOf(policies);
            sources = List.copyOf(sources);
        }
    }
}
