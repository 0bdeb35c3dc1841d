package io.nftpolicy.backend.kernel;

import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.Rule;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a rule is, in terms both sides can compute: the model from its nft text, the kernel from its JSON.
 *
 * @param comment the rule's comment
 * @param sets    names of the named sets and maps it refers to ({@code @name}), sorted
 * @param verdict accept, drop, return, vmap (a verdict-map dispatch) or jump/goto with its target
 * @param literals the elements of each anonymous set the rule carries (its inline ports, say), each set's elements
 *                 sorted and joined with ", ": so a rule whose ports changed while its comment did not still differs
 */
public record RuleDigest(String comment, List<String> sets, String verdict, List<String> literals) {
    private static final Pattern SET_REFERENCE = Pattern.compile("@([A-Za-z0-9_.\\-]+)");
    private static final Pattern JUMP = Pattern.compile("\\b(jump|goto) ([A-Za-z0-9_.\\-]+)\\s*$");

    /** The verdicts that take no argument, as the kernel's JSON names them and the rule text ends with them. */
    static final Set<String> VERDICTS = Set.of("accept", "drop", "return", "continue",
            "reject", "queue");
    private static final Pattern ANONYMOUS_SET = Pattern.compile("\\{ ([^{}]*) \\}");

    public RuleDigest {
        comment = comment == null ? "" : comment;
        sets = List.copyOf(sets);
        literals = List.copyOf(literals);
    }

    /** A digest of a rule without anonymous sets. */
    public RuleDigest(String comment, List<String> sets, String verdict) {
        this(comment, sets, verdict, List.of());
    }

    /** The canonical form of one anonymous set: its elements sorted, joined with ", ". */
    public static String literal(List<String> elements) {
        List<String> sorted = new ArrayList<>(elements);
        sorted.sort(null);
        return String.join(", ", sorted);
    }

    /** The digest of a rule of the model, as the kernel's JSON of the same rule would give it. */
    public static RuleDigest of(Rule rule) {
        String statement = rule.statement().trim();
        List<String> sets = new ArrayList<>();
        Matcher m = SET_REFERENCE.matcher(statement);
        while (m.find()) {
            sets.add(m.group(1));
        }
        sets.sort(null);
        String verdict;
        Matcher jump = JUMP.matcher(statement);
        if (jump.find()) {
            verdict = jump.group(1) + " " + jump.group(2);
        } else if (statement.contains(" vmap ")) {
            verdict = "vmap";
        } else {
            // The last verdict word: "reject with tcp reset" is a reject; a mark statement alone has no verdict.
            List<String> words = List.of(statement.split("\\s+"));
            verdict = "";
            for (int i = words.size() - 1; i >= 0; i--) {
                if (VERDICTS.contains(words.get(i))) {
                    verdict = words.get(i);
                    break;
                }
            }
        }
        List<String> literals = new ArrayList<>();
        Matcher anonymous = ANONYMOUS_SET.matcher(statement);
        while (anonymous.find()) {
            literals.add(literal(List.of(anonymous.group(1).split(", "))));
        }
        // The kernel keeps the comment as the renderer wrote it, shortened to what fits.
        String comment = NftRenderer.renderRule(Rule.of("", rule.comment())).replaceFirst("^ comment \"", "");
        return new RuleDigest(comment.isEmpty() ? "" : comment.substring(0, comment.length() - 1), sets, verdict,
                literals);
    }
}
