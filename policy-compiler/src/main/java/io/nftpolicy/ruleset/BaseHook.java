package io.nftpolicy.ruleset;

import java.util.Objects;

/** What makes a chain a base chain: the netfilter hook it is attached to, at a priority, with policy accept. */
public record BaseHook(String hook, int priority) {
    public BaseHook {
        Objects.requireNonNull(hook, "hook");
    }
}
