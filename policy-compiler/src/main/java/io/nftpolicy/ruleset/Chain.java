package io.nftpolicy.ruleset;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A chain of the table: a base chain when it has a hook, otherwise reached by jumps from a verdict map. */
public record Chain(String name, Optional<BaseHook> hook, String comment, List<Rule> rules) {
    public Chain {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(hook, "hook");
        comment = comment == null ? "" : comment;
        rules = List.copyOf(rules);
    }
}
