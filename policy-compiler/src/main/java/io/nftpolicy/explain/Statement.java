package io.nftpolicy.explain;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A rule's statement read back into what the kernel does with it: matches that must all hold, then an action. Only
 * the forms the compiler writes are understood; anything else is refused with the statement quoted, so that
 * {@code explain} never guesses.
 */
record Statement(List<Match> matches, Action action) {

    /** One condition of a rule. */
    sealed interface Match {
        /** The condition as written in the rule. */
        String text();
    }

    /** {@code ip saddr @set}, {@code ip daddr . meta l4proto . th dport @set}: the packet's fields are in a named set. */
    record Lookup(List<Field> fields, String set, String text) implements Match {}

    /** {@code ct state established,related}. */
    record State(Set<String> states, String text) implements Match {}

    /** {@code icmpv6 type { ... }}. */
    record Icmpv6(String text) implements Match {}

    /** What a rule does once its matches hold. */
    sealed interface Action {}

    enum Kind { ACCEPT, DROP, RETURN, JUMP, CONTINUE }

    /** A plain verdict; {@code chain} for jump. CONTINUE is a rule without a verdict. */
    record Verdict(Kind kind, Optional<String> chain) implements Action {
        String text() {
            return kind.name().toLowerCase(Locale.ROOT) + chain.map(c -> " " + c).orElse("");
        }
    }

    /** {@code ip saddr vmap @map}: the verdict is the map's element for the packet's address, if there is one. */
    record MapLookup(Field field, String map, String text) implements Action {}

    private static final Set<String> VERDICTS = Set.of("accept", "drop", "return", "jump");

    /** @throws IllegalArgumentException naming the statement and what in it is not understood */
    static Statement parse(String statement) {
        Tokens tokens = new Tokens(statement);
        List<Match> matches = new ArrayList<>();
        while (tokens.hasNext()) {
            String token = tokens.peek();
            if (VERDICTS.contains(token)) {
                Verdict verdict = verdict(tokens);
                tokens.expectEnd();
                return new Statement(matches, verdict);
            }
            if (token.equals("ct")) {
                tokens.next();
                tokens.expect("state");
                String states = tokens.next();
                matches.add(new State(Set.of(states.split(",")), "ct state " + states));
            } else if (token.equals("icmpv6")) {
                tokens.next();
                tokens.expect("type");
                matches.add(new Icmpv6("icmpv6 type " + tokens.next()));
            } else {
                List<Field> fields = fields(tokens);
                String text = String.join(" . ", fields.stream().map(Field::nft).toList());
                String operand = tokens.next();
                if (operand.equals("vmap")) {
                    if (fields.size() != 1) {
                        throw tokens.error("a verdict map is looked up by one field here, not '" + text + "'");
                    }
                    String map = setName(tokens, tokens.next());
                    tokens.expectEnd();
                    return new Statement(matches, new MapLookup(fields.get(0), map, text + " vmap @" + map));
                }
                String set = setName(tokens, operand);
                matches.add(new Lookup(fields, set, text + " @" + set));
            }
        }
        return new Statement(matches, new Verdict(Kind.CONTINUE, Optional.empty()));
    }

    private static Verdict verdict(Tokens tokens) {
        String word = tokens.next();
        Kind kind = Kind.valueOf(word.toUpperCase(Locale.ROOT));
        if (kind == Kind.JUMP) {
            return new Verdict(kind, Optional.of(tokens.next()));
        }
        return new Verdict(kind, Optional.empty());
    }

    private static List<Field> fields(Tokens tokens) {
        List<Field> fields = new ArrayList<>();
        do {
            String payload = tokens.next();
            String name = tokens.next();
            fields.add(Field.of(payload, name).orElseThrow(() -> tokens.error("unknown field '" + payload + " " + name + "'")));
        } while (tokens.skip("."));
        return fields;
    }

    private static String setName(Tokens tokens, String operand) {
        if (!operand.startsWith("@") || operand.length() == 1) {
            throw tokens.error("expected a named set (@name), got '" + operand + "'");
        }
        return operand.substring(1);
    }

    /** Words of a statement; an anonymous set, {@code { a, b }}, is one word. */
    private static final class Tokens {
        private final String statement;
        private final List<String> words = new ArrayList<>();
        private int next;

        Tokens(String statement) {
            this.statement = statement;
            String[] raw = statement.trim().split("\\s+");
            for (int i = 0; i < raw.length; i++) {
                if (raw[i].isEmpty()) {
                    continue;
                }
                if (raw[i].startsWith("{")) {
                    StringBuilder braced = new StringBuilder(raw[i]);
                    while (!raw[i].endsWith("}") && i + 1 < raw.length) {
                        braced.append(' ').append(raw[++i]);
                    }
                    words.add(braced.toString());
                } else {
                    words.add(raw[i]);
                }
            }
        }

        boolean hasNext() {
            return next < words.size();
        }

        String peek() {
            return words.get(next);
        }

        String next() {
            if (!hasNext()) {
                throw error("it ends too early");
            }
            return words.get(next++);
        }

        boolean skip(String word) {
            if (hasNext() && peek().equals(word)) {
                next++;
                return true;
            }
            return false;
        }

        void expect(String word) {
            String got = next();
            if (!got.equals(word)) {
                throw error("expected '" + word + "', got '" + got + "'");
            }
        }

        void expectEnd() {
            if (hasNext()) {
                throw error("unexpected '" + peek() + "' after the verdict");
            }
        }

        IllegalArgumentException error(String why) {
            return new IllegalArgumentException("explain cannot read the rule '" + statement + "': " + why);
        }
    }
}
