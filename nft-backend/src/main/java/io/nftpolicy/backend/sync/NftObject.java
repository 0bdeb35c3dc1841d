package io.nftpolicy.backend.sync;

import io.nftpolicy.ruleset.BaseHook;
import io.nftpolicy.ruleset.KeyPart;
import io.nftpolicy.ruleset.KeyType;
import io.nftpolicy.ruleset.MapElement;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.NftRenderer;
import io.nftpolicy.ruleset.SetElement;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.net.IpRange;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One object of nftpolicy's table, as a {@link Transaction} names it (knftables' {@code Object}): each record names
 * its {@link Type}, which says which verbs apply, and writes its own nft text once. None of them can name another
 * table.
 *
 * <p>Sets and verdict maps are both element containers: one {@link Element} type serves both, with a value (the
 * chain a map element jumps to) only in a map.
 */
public sealed interface NftObject {
    /** Its type, which says what nft calls it and which verbs apply. */
    Type type();

    /** What nft calls it: {@code table}, {@code chain}, {@code rule}, {@code set}, {@code map}, {@code element}... */
    default String kind() {
        return type().nft();
    }

    /** The verbs this object accepts. */
    default java.util.Set<Verb> verbs() {
        return type().verbs();
    }

    /**
     * Its nft text after {@code VERB KIND inet nftpolicy}, for {@code verb}; for an element, the element alone
     * ({@code key comment "..." : jump chain}), which {@link TransactionText} batches per container.
     */
    String write(Verb verb);

    /** What a transaction does to an object. */
    enum Verb {
        /** Creates the object if absent; an element or rule is appended. */
        ADD,
        /** Creates the object, failing if it exists. */
        CREATE,
        /** Empties a chain (of its rules) or a set or map (of its elements); the object stays. */
        FLUSH,
        /** Deletes the object, failing if it does not exist or something still refers to it. */
        DELETE,
        /** Puts a rule first in its chain. */
        INSERT;

        /** The verb as nft spells it. */
        public String nft() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The types of object, each with the verbs that apply to it. */
    enum Type {
        /** nftpolicy's table itself: only added or created; nothing here deletes or flushes it. */
        TABLE(Verb.ADD, Verb.CREATE),
        CHAIN(Verb.ADD, Verb.CREATE, Verb.FLUSH, Verb.DELETE),
        /** Appended ({@code add}) or put first ({@code insert}); a chain is flushed to remove its rules. */
        RULE(Verb.ADD, Verb.INSERT),
        SET(Verb.ADD, Verb.CREATE, Verb.FLUSH, Verb.DELETE),
        MAP(Verb.ADD, Verb.CREATE, Verb.FLUSH, Verb.DELETE),
        ELEMENT(Verb.ADD, Verb.CREATE, Verb.DELETE),
        /** Any object nftpolicy never writes, named by its own kind: it can only be deleted. */
        FOREIGN(Verb.DELETE);

        private final java.util.Set<Verb> verbs;

        Type(Verb first, Verb... rest) {
            this.verbs = java.util.Collections.unmodifiableSet(EnumSet.of(first, rest));
        }

        public java.util.Set<Verb> verbs() {
            return verbs;
        }

        /** The keyword nft names objects of this type by. */
        public String nft() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A chain, set or map: named in the table, declared by {@code add} or {@code create} (the declaration is ignored
     * by {@code add} when the object exists), emptied by {@code flush}, deleted by name.
     */
    sealed interface Declared extends NftObject {
        String name();

        /** What {@code add} and {@code create} write after the name: {@code { type ...; }}, or nothing. */
        String declaration();

        @Override
        default String write(Verb verb) {
            return " " + name() + (verb == Verb.FLUSH || verb == Verb.DELETE ? "" : declaration());
        }
    }

    /** nftpolicy's table itself. */
    record Table(String comment) implements NftObject {
        public Table {
            comment = comment == null ? "" : comment;
        }

        @Override
        public Type type() {
            return Type.TABLE;
        }

        @Override
        public String write(Verb verb) {
            return comment.isEmpty() ? "" : " { comment " + NftText.quoted(comment) + "; }";
        }
    }

    /**
     * A regular chain, or a base chain ({@code type filter hook forward priority 0; policy accept}). Adding a chain
     * that exists does nothing, so its comment and hook cannot be changed this way.
     */
    record Chain(String name, Optional<BaseHook> hook, String comment) implements Declared {
        public Chain {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(hook, "hook");
            comment = comment == null ? "" : comment;
        }

        /** The chain by name, to flush or delete. */
        public static Chain named(String name) {
            return new Chain(name, Optional.empty(), "");
        }

        @Override
        public Type type() {
            return Type.CHAIN;
        }

        @Override
        public String declaration() {
            StringBuilder body = new StringBuilder();
            hook.ifPresent(h -> body.append(" type filter hook ").append(h.hook()).append(" priority ")
                    .append(h.priority()).append("; policy accept;"));
            if (!comment.isEmpty()) {
                body.append(" comment ").append(NftText.quoted(comment)).append(';');
            }
            return body.length() == 0 ? "" : " {" + body + " }";
        }
    }

    /** A rule of a chain, written by {@link NftRenderer#renderRule}. */
    record Rule(String chain, io.nftpolicy.ruleset.Rule rule) implements NftObject {
        public Rule {
            Objects.requireNonNull(chain, "chain");
            Objects.requireNonNull(rule, "rule");
        }

        @Override
        public Type type() {
            return Type.RULE;
        }

        @Override
        public String write(Verb verb) {
            return " " + chain + " " + NftRenderer.renderRule(rule);
        }
    }

    /**
     * A named set's declaration (no elements): its key type, {@code flags interval}, {@code counter} (each element
     * counts the lookups that match it) and comment.
     */
    record Set(String name, List<KeyType> keyType, boolean interval, String comment, boolean counter)
            implements Declared {
        public Set {
            Objects.requireNonNull(name, "name");
            keyType = List.copyOf(keyType);
            comment = comment == null ? "" : comment;
        }

        public Set(String name, List<KeyType> keyType, boolean interval, String comment) {
            this(name, keyType, interval, comment, false);
        }

        public static Set of(NamedSet set) {
            return new Set(set.name(), set.keyType(), set.interval(), set.comment(), set.counter());
        }

        /** The same declaration with another comment. */
        public Set withComment(String newComment) {
            return new Set(name, keyType, interval, newComment, counter);
        }

        /** The set by name, to flush or delete. */
        public static Set named(String name) {
            return new Set(name, List.of(), false, "");
        }

        @Override
        public Type type() {
            return Type.SET;
        }

        @Override
        public String declaration() {
            if (keyType.isEmpty()) {
                throw new IllegalArgumentException("set " + name + ": no key type to declare it with");
            }
            return " { type " + keyType.stream().map(KeyType::nftName).collect(Collectors.joining(" . "))
                    + ";" + (interval ? " flags interval;" : "") + (counter ? " counter;" : "")
                    + (comment.isEmpty() ? "" : " comment " + NftText.quoted(comment) + ";") + " }";
        }
    }

    /** A verdict map's declaration (no elements): keyed by one address, mapping to verdicts. */
    record Map(String name, KeyType keyType, String comment) implements Declared {
        public Map {
            Objects.requireNonNull(name, "name");
            comment = comment == null ? "" : comment;
        }

        public static Map of(VerdictMap map) {
            return new Map(map.name(), map.keyType(), map.comment());
        }

        /** The map by name, to flush or delete. */
        public static Map named(String name) {
            return new Map(name, null, "");
        }

        @Override
        public Type type() {
            return Type.MAP;
        }

        @Override
        public String declaration() {
            if (keyType == null) {
                throw new IllegalArgumentException("map " + name + ": no key type to declare it with");
            }
            return " { type " + keyType.nftName() + " : verdict;"
                    + (comment.isEmpty() ? "" : " comment " + NftText.quoted(comment) + ";") + " }";
        }
    }

    /**
     * An element of a set or verdict map ({@code container}). Its key is typed as the model's (an interval set's
     * key is the whole interval); a map element carries a value, the chain it jumps to. The comment is what is
     * written; it matters only when the element is added (a deletion goes by key).
     */
    record Element(String container, List<KeyPart> key, String comment, Optional<String> jump) implements NftObject {
        public Element {
            Objects.requireNonNull(container, "container");
            key = List.copyOf(key);
            if (key.isEmpty()) {
                throw new IllegalArgumentException("an element of " + container + " without a key");
            }
            comment = comment == null ? "" : comment;
            Objects.requireNonNull(jump, "jump");
        }

        /** A set element as the model writes it: its own comment, or the provenance of a merged set's element. */
        public static Element of(String set, SetElement element) {
            return new Element(set, element.key(), NftText.rawComment(element), Optional.empty());
        }

        /** A dispatch element: {@code address comment "pod" : jump chain}. */
        public static Element of(String map, MapElement element) {
            return new Element(map, List.of(new KeyPart.Addresses(IpRange.single(element.key()))), element.comment(),
                    Optional.of(element.chain()));
        }

        /** The element of {@code container} with this key, to delete. */
        public static Element key(String container, List<KeyPart> key) {
            return new Element(container, key, "", Optional.empty());
        }

        /** Its key as nft writes it. */
        public String keyText() {
            return key.stream().map(KeyPart::toNft).collect(Collectors.joining(" . "));
        }

        @Override
        public Type type() {
            return Type.ELEMENT;
        }

        @Override
        public String write(Verb verb) {
            if (verb == Verb.DELETE) {
                return keyText();
            }
            return keyText() + NftText.commentSuffix(comment) + jump.map(c -> " : jump " + c).orElse("");
        }
    }

    /**
     * An object of the table that nftpolicy never writes ({@code flowtable}, {@code counter}, {@code ct helper}...),
     * found by a read-back: it can only be deleted, once nothing refers to it.
     */
    record Foreign(String kind, String name) implements NftObject {
        private static final Pattern KIND = Pattern.compile("[a-z]+( [a-z]+)?");

        public Foreign {
            Objects.requireNonNull(name, "name");
            if (kind == null || !KIND.matcher(kind).matches() || List.of("table", "chain", "rule", "set", "map",
                    "element").contains(kind)) {
                throw new IllegalArgumentException("not a foreign nftables object kind: " + kind);
            }
        }

        @Override
        public Type type() {
            return Type.FOREIGN;
        }

        @Override
        public String write(Verb verb) {
            return " " + name;
        }
    }
}
