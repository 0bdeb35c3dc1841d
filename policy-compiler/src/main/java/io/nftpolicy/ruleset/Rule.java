package io.nftpolicy.ruleset;

import java.util.List;
import java.util.Objects;

/**
 * One rule, written in nft's own syntax (as knftables does), with the policies it stands for.
 *
 * @param statement the rule text without its comment, e.g. {@code ip saddr @set accept}
 * @param comment   what a person reading {@code nft list} should know; rendered as the rule's comment
 * @param sources   every policy peer whose allowance this rule enforces (empty for structural rules)
 */
public record Rule(String statement, String comment, List<Source> sources) {
    public Rule {
        Objects.requireNonNull(statement, "statement");
        comment = comment == null ? "" : comment;
        sources = List.copyOf(sources);
    }

    public static Rule of(String statement, String comment) {
        return new Rule(statement, comment, List.of());
    }
}
