package io.nftpolicy.backend.kernel;

import io.nftpolicy.ruleset.BaseHook;
import java.util.List;
import java.util.Optional;

/**
 * A chain of the table as read back: its hook if it is a base chain, its comment, a digest per rule and, when read
 * from the kernel, each rule's whole {@link RuleExpression} (in the same order; empty when not known).
 */
public record KernelChain(String name, Optional<BaseHook> hook, String comment, List<RuleDigest> rules,
                          List<String> expressions) {
    public KernelChain {
        comment = comment == null ? "" : comment;
        rules = List.copyOf(rules);
        expressions = List.copyOf(expressions);
        if (!expressions.isEmpty() && expressions.size() != rules.size()) {
            throw new IllegalArgumentException("chain " + name + ": " + expressions.size() + " expressions for "
                    + rules.size() + " rules");
        }
    }

    /** A chain whose rules are known by their digests only. */
    public KernelChain(String name, Optional<BaseHook> hook, String comment, List<RuleDigest> rules) {
        this(name, hook, comment, rules, List.of());
    }

    /** The same chain known by its digests only (to compare with one built from a model). */
    public KernelChain digestsOnly() {
        return new KernelChain(name, hook, comment, rules);
    }
}
