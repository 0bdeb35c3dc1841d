package io.nftpolicy.explain;

import io.nftpolicy.explain.Trace.Allowance;
import io.nftpolicy.explain.Trace.ChainRun;
import io.nftpolicy.explain.Trace.Check;
import io.nftpolicy.explain.Trace.Denial;
import io.nftpolicy.explain.Trace.Exit;
import io.nftpolicy.explain.Trace.RuleRun;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Source;
import io.nftpolicy.tier.TierComment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * A trace as text for people: one line per rule the packet met (as {@code nft list} prints it), under it one line
 * per condition with why it matched or not, jumped-to chains indented below the rule that jumped. Stable: the same
 * trace gives the same text, so it can be diffed and pinned in tests.
 */
public final class TraceText {
    private static final String STEP = "  ";

    private TraceText() {}

    /** The whole trace, every line starting with {@code indent}. */
    public static String render(Trace trace, String indent) {
        StringBuilder out = new StringBuilder();
        chain(trace.base(), indent, true, out);
        return out.toString();
    }

    /** One line: the verdict and what decided it. */
    public static String summary(Trace trace) {
        if (trace.denial().isPresent()) {
            return "drop: " + denial(trace.denial().get());
        }
        List<String> parts = new ArrayList<>();
        trace.allowances().forEach(a -> parts.add(allowance(a)));
        if (trace.base().exit() != Exit.ACCEPT) {
            parts.add(parts.isEmpty() ? "no chain applies to this packet here; the base chain's policy accepts"
                    : "no other chain applies; the base chain's policy accepts");
        }
        return (trace.accepted() ? "accept: " : "drop: ") + String.join("; ", parts);
    }

    /** e.g. {@code ingress of dev/db allowed by dev/db-access ingress[0].from[2]}. */
    public static String allowance(Allowance allowance) {
        Optional<TierComment> tier = TierComment.parse(allowance.rule().comment());
        if (tier.isPresent()) {
            return tier.get().direction().field() + " of " + allowance.subject() + " allowed by "
                    + tier.get().describe();
        }
        if (allowance.sources().isEmpty() && allowance.chain().startsWith("cnp-")) {
            return allowance.subject() + " allowed: " + allowance.rule().comment();
        }
        String by = allowance.sources().isEmpty()
                ? "rule " + allowance.position() + " of chain " + allowance.chain()
                : allowance.sources().stream().map(Source::toString).collect(Collectors.joining(", "));
        return allowance.direction().map(d -> d.field() + " of ").orElse("") + allowance.subject() + " allowed by " + by;
    }

    /** e.g. {@code dev/db is isolated for ingress by dev/a, dev/b and no rule of chain ing-... allows the packet}. */
    public static String denial(Denial denial) {
        Optional<TierComment> tier = TierComment.parse(denial.rule().comment());
        if (tier.isPresent()) {
            return tier.get().direction().field() + " of " + denial.subject() + " denied by " + tier.get().describe();
        }
        String isolated = denial.isolatedBy().isEmpty()
                ? denial.subject() + " is dropped by rule " + denial.position() + " \"" + denial.rule().comment() + "\""
                : denial.subject() + " is isolated for " + denial.direction().map(d -> d.field()).orElse("?") + " by "
                        + String.join(", ", denial.isolatedBy());
        return isolated + ", and no rule of its chain " + denial.chain() + " allows the packet (end of chain, rule "
                + denial.position() + ")";
    }

    /**
     * What a staged chain found, apart from the verdict, e.g. {@code staged dev/deny-all would deny ingress of
     * dev/db: isolated by dev/deny-all, and no rule of chain stg-ing-... allows the packet} or {@code staged
     * dev/web would allow ingress of dev/db by dev/web ingress[0].from[0]}.
     */
    public static String staged(Trace.Staged staged) {
        String head = "staged " + String.join(", ", staged.staged()) + " would "
                + (staged.wouldAllow() ? "allow " : "deny ") + staged.direction().field() + " of " + staged.subject();
        if (staged.wouldAllow()) {
            return head + " by " + staged.sources().stream().map(Source::toString).collect(Collectors.joining(", "));
        }
        return head + ": isolated by " + String.join(", ", staged.policies()) + ", and no rule of chain "
                + staged.chain() + " allows the packet";
    }

    private static void chain(ChainRun run, String indent, boolean base, StringBuilder out) {
        out.append(indent).append("chain ").append(run.chain().name());
        if (!run.chain().comment().isEmpty()) {
            out.append(" \"").append(run.chain().comment()).append('"');
        }
        out.append('\n');
        for (RuleRun rule : run.rules()) {
            String ruleIndent = indent + STEP;
            String number = rule.position() + "  ";
            out.append(ruleIndent).append(number).append(NftRenderer.renderRule(rule.rule())).append('\n');
            String detail = ruleIndent + " ".repeat(number.length());
            for (Check check : rule.checks()) {
                out.append(detail).append(check.matched() ? "match: " : "no match: ").append(check.reason()).append('\n');
            }
            if (rule.matched() && rule.checks().isEmpty()) {
                out.append(detail).append("match: the rule has no condition\n");
            }
            rule.action().ifPresent(a -> out.append(detail).append("-> ").append(a).append('\n'));
            rule.jumped().ifPresent(j -> chain(j, detail, false, out));
        }
        if (run.exit() == Exit.END) {
            out.append(indent).append(STEP).append(base ? "end of chain: policy accept" : "end of chain: return")
                    .append('\n');
        }
    }
}
