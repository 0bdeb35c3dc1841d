package io.nftpolicy.ruleset;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Prints a ruleset as an {@code nft -f} script. The output loads into an empty network namespace and is
 * byte-identical for equal rulesets.
 */
public final class NftRenderer {
    /** The kernel keeps at most this many bytes of a comment (NFTNL_UDATA_COMMENT_MAXLEN). */
    public static final int MAX_COMMENT_BYTES = 128;

    private NftRenderer() {}

    public static String render(Ruleset ruleset) {
        StringBuilder out = new StringBuilder();
        out.append("table ").append(ruleset.family()).append(' ').append(ruleset.table()).append(" {\n");
        if (!ruleset.comment().isEmpty()) {
            out.append("\tcomment ").append(quote(ruleset.comment())).append("\n");
        }
        for (VerdictMap map : ruleset.maps()) {
            out.append('\n').append(renderMap(map));
        }
        for (NamedSet set : ruleset.sets()) {
            out.append('\n').append(renderSet(set));
        }
        for (Chain chain : ruleset.chains()) {
            out.append('\n').append(renderChain(chain));
        }
        out.append("}\n");
        return out.toString();
    }

    static String renderMap(VerdictMap map) {
        StringBuilder out = new StringBuilder();
        out.append("\tmap ").append(map.name()).append(" {\n");
        out.append("\t\ttype ").append(map.keyType().nftName()).append(" : verdict\n");
        if (!map.comment().isEmpty()) {
            out.append("\t\tcomment ").append(quote(map.comment())).append("\n");
        }
        if (!map.elements().isEmpty()) {
            out.append("\t\telements = {\n");
            out.append(map.elements().stream()
                    .map(e -> "\t\t\t" + e.key() + comment(e.comment()) + " : jump " + e.chain())
                    .collect(Collectors.joining(",\n")));
            out.append("\n\t\t}\n");
        }
        out.append("\t}\n");
        return out.toString();
    }

    static String renderSet(NamedSet set) {
        StringBuilder out = new StringBuilder();
        out.append("\tset ").append(set.name()).append(" {\n");
        out.append("\t\ttype ").append(set.keyType().stream().map(KeyType::nftName).collect(Collectors.joining(" . ")))
                .append("\n");
        if (set.interval()) {
            out.append("\t\tflags interval\n");
        }
        if (set.counter()) {
            out.append("\t\tcounter\n");
        }
        if (!set.comment().isEmpty()) {
            out.append("\t\tcomment ").append(quote(set.comment())).append("\n");
        }
        if (!set.elements().isEmpty()) {
            out.append("\t\telements = {\n");
            out.append(set.elements().stream()
                    .map(e -> "\t\t\t" + e.keyToNft()
                            + comment(e.comment().isEmpty() ? sourcesComment(e.sources()) : e.comment()))
                    .collect(Collectors.joining(",\n")));
            out.append("\n\t\t}\n");
        }
        out.append("\t}\n");
        return out.toString();
    }

    static String renderChain(Chain chain) {
        StringBuilder out = new StringBuilder();
        out.append("\tchain ").append(chain.name()).append(" {\n");
        chain.hook().ifPresent(h -> out.append("\t\ttype filter hook ").append(h.hook()).append(" priority ")
                .append(h.priority()).append("; policy accept;\n"));
        if (!chain.comment().isEmpty()) {
            out.append("\t\tcomment ").append(quote(chain.comment())).append("\n");
        }
        for (Rule rule : chain.rules()) {
            out.append("\t\t").append(renderRule(rule)).append("\n");
        }
        out.append("\t}\n");
        return out.toString();
    }

    public static String renderRule(Rule rule) {
        return rule.statement() + comment(rule.comment());
    }

    /** Provenance for an element: every source that fits in what the kernel keeps, then how many more there are. */
    public static String sourcesComment(List<Source> sources) {
        if (sources.isEmpty()) {
            return "";
        }
        int limit = MAX_COMMENT_BYTES - 1;
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < sources.size(); i++) {
            String next = (i == 0 ? "" : "; ") + sources.get(i);
            int remaining = sources.size() - i - 1;
            String more = remaining == 0 ? "" : " +" + remaining + " more";
            if (utf8Length(text) + utf8Length(next) + utf8Length(more) <= limit) {
                text.append(next);
                continue;
            }
            String cut = " +" + (sources.size() - i) + " more";
            if (i == 0) {
                // Even the first source does not fit: shorten it, but keep the count of the others.
                String tail = remaining == 0 ? "" : " +" + remaining + " more";
                return truncate(next, limit - utf8Length(tail)) + tail;
            }
            return text + cut;
        }
        return text.toString();
    }

    private static String comment(String text) {
        return text.isEmpty() ? "" : " comment " + quote(text);
    }

    /** nft strings cannot escape quotes; the kernel keeps 127 bytes plus a NUL. */
    static String quote(String text) {
        String clean = text.replace('"', '\'').replace('\n', ' ');
        return "\"" + truncate(clean, MAX_COMMENT_BYTES - 1) + "\"";
    }

    static String truncate(String text, int maxBytes) {
        if (utf8Length(text) <= maxBytes) {
            return text;
        }
        StringBuilder out = new StringBuilder();
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            String ch = new String(Character.toChars(codePoint));
            int size = utf8Length(ch);
            if (bytes + size + 3 > maxBytes) {
                break;
            }
            out.append(ch);
            bytes += size;
            i += Character.charCount(codePoint);
        }
        return out + "...";
    }

    private static int utf8Length(CharSequence text) {
        return text.toString().getBytes(StandardCharsets.UTF_8).length;
    }
}
