package io.nftpolicy.backend.kernel;

import io.nftpolicy.ruleset.BaseHook;
import java.util.List;
import java.util.Optional;

/** A chain of the table as read back: its hook if it is a base chain, its comment and a digest per rule. */
public record KernelChain(String name, Optional<BaseHook> hook, String comment, List<RuleDigest> rules) {
    public KernelChain {
        comment = comment == null ? "" : comment;
        rules = List.copyOf(rules);
    }
}
