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

    /** {@code ct direction reply}. */
    record Direction(String direction, String text) implements Match {}

    /**
     * {@code ct mark & 0xfffff000 == 0xfffff000} or {@code ct mark & 0xfffff000 == @set}: the flow's conntrack mark,
     * masked, equals a value or is in a named set.
     */
    record ConntrackMark(long mask, Optional<Long> value, Optional<String> set, String text) implements Match {}

    /** {@code meta l4proto tcp}. */
    record L4proto(String protocol, String text) implements Match {}

    /** {@code icmpv6 type { ... }}. */
    record Icmpv6(String text) implements Match {}

    /** What a rule does once its matches hold. */
    sealed interface Action {}

    enum Kind { ACCEPT, DROP, REJECT, RETURN, JUMP, GOTO, CONTINUE }

    /** A plain verdict; {@code chain} for jump and goto. CONTINUE is a rule without a verdict. */
    record Verdict(Kind kind, Optional<String> chain) implements Action {
        String text() {
            return kind.name().toLowerCase(Locale.ROOT) + chain.map(c -> " " + c).orElse("");
        }
    }

    /** {@code ip saddr vmap @map}: the verdict is the map's element for the packet's address, if there is one. */
    record MapLookup(Field field, String map, String text) implements Action {}

    private static final Set<String> VERDICTS = Set.of("accept", "drop", "reject", "return", "jump", "goto");

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
            if (token.equals("counter")) {
                tokens.next(); // counts what matched, decides nothing
                if (tokens.skip("name")) {
                    tokens.next();
                }
            } else if (token.equals("ct")) {
                tokens.next();
                String key = tokens.next();
                if (key.equals("state")) {
                    String states = tokens.next();
                    matches.add(new State(Set.of(states.split(",")), "ct state " + states));
                } else if (key.equals("direction")) {
                    String direction = tokens.next();
                    matches.add(new Direction(direction, "ct direction " + direction));
                } else if (key.equals("mark") && tokens.skip("set")) {
                    skipMangle(tokens); // changes the mark, not the verdict
                } else if (key.equals("mark")) {
                    matches.add(conntrackMark(tokens));
                } else {
                    throw tokens.error("unknown conntrack key '" + key + "'");
                }
            } else if (token.equals("meta") && tokens.peek(1).equals("l4proto") && tokens.peek(2).matches("[a-z]+")) {
                // meta l4proto tcp: a protocol, not the start of a concatenation (meta l4proto . th dport @set)
                tokens.next();
                tokens.next();
                String protocol = tokens.next();
                matches.add(new L4proto(protocol, "meta l4proto " + protocol));
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

    private static ConntrackMark conntrackMark(Tokens tokens) {
        tokens.expect("&");
        String mask = tokens.next();
        tokens.expect("==");
        String operand = tokens.next();
        String text = "ct mark & " + mask + " == " + operand;
        if (operand.startsWith("@")) {
            return new ConntrackMark(hex(tokens, mask), Optional.empty(), Optional.of(setName(tokens, operand)), text);
        }
        return new ConntrackMark(hex(tokens, mask), Optional.of(hex(tokens, operand)), Optional.empty(), text);
    }

    private static long hex(Tokens tokens, String word) {
        try {
            return Long.decode(word);
        } catch (NumberFormatException e) {
            throw tokens.error("expected a number, got '" + word + "'");
        }
    }

    /** The words of {@code ct mark set EXPR}, up to the verdict or the end. */
    private static void skipMangle(Tokens tokens) {
        while (tokens.hasNext() && !VERDICTS.contains(tokens.peek())) {
            tokens.next();
        }
    }

    private static Verdict verdict(Tokens tokens) {
        String word = tokens.next();
        Kind kind = Kind.valueOf(word.toUpperCase(Locale.ROOT));
        if (kind == Kind.JUMP || kind == Kind.GOTO) {
            return new Verdict(kind, Optional.of(tokens.next()));
        }
        if (kind == Kind.REJECT && tokens.skip("with")) {
            while (tokens.hasNext()) {
                tokens.next(); // "tcp reset", "icmpx type admin-prohibited": how, not whether
            }
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

        /** The word {@code ahead} after the next one, or "" past the end. */
        String peek(int ahead) {
            return next + ahead < words.size() ? words.get(next + ahead) : "";
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
