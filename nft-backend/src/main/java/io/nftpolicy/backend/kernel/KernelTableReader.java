package io.nftpolicy.backend.kernel;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.libnftables.OutputFlag;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;

/**
 * Reads nftpolicy's table back from the kernel through libnftables: the JSON it prints for {@code list table inet
 * nftpolicy} ({@code {"nftables":[{"metainfo":...},{"table":...},{"set":...},{"map":...},{"chain":...},{"rule":...}]}}),
 * parsed by {@link TableListing} (elements by {@link ElementDecoder}) into a {@link KernelTable}.
 *
 * <ul>
 *   <li>Sets and maps come out exact, as the model writes them: typed key parts, element comments, elements in the
 *       model's order, so that a set the kernel holds as committed equals the committed one. Elements carry no
 *       sources (the kernel keeps only the comment).</li>
 *   <li>Chains: their hook, comment, and per rule (in chain order) a {@link RuleDigest}: comment, the {@code @}sets
 *       it refers to, and its verdict. For every rule the compiler emits this equals {@link RuleDigest#of}.</li>
 *   <li>libnftables 1.0.6 leaves the comments of the table and of chains out of its JSON, and prints a table's
 *       flags from freed memory. {@link #parse(String, String)} takes them from the text listing instead
 *       ({@link TextComments}), and {@link #read} fetches both.</li>
 * </ul>
 *
 * Objects nftpolicy never writes (another kind of object, a data map, a set of a key type or with flags nftpolicy
 * does not use, a map element that does not jump, a base chain that is not {@code type filter} with {@code policy
 * accept}) come back as {@link ForeignObject}s, for the repair to delete; the rules of such a chain are not read. A
 * listing that is not JSON of a table at all fails with a {@link KernelTableFormatException} naming where.
 */
public final class KernelTableReader {
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_.\\-]{1,255}");
    /** The table object's flags: group 1 from the comma before them. */
    private static final java.util.regex.Pattern TABLE_FLAGS =
            java.util.regex.Pattern.compile("\\{\"table\": \\{[^{}]*?(, \"flags\":)");

    private KernelTableReader() {}

    /**
     * Reads table {@code inet nftpolicy} through {@code nft}: its JSON listing, plus (when the JSON lacks them, as
     * 1.0.6's does) the table and chain comments from a terse text listing. Empty when there is no such table.
     *
     * @throws NftablesException          libnftables failed to list it
     * @throws KernelTableFormatException the listing is not a table nftpolicy could have written
     */
    public static Optional<KernelTable> read(Nftables nft) throws NftablesException {
        return read(nft, Ruleset.FAMILY, Ruleset.TABLE);
    }

    /** As {@link #read(Nftables)}, for any table. */
    public static Optional<KernelTable> read(Nftables nft, String family, String table) throws NftablesException {
        return read(nft, family, table, EnumSet.of(OutputFlag.JSON));
    }

    /**
     * The table's declarations: as {@link #read(Nftables)}, but the sets and maps come without their elements (a
     * terse listing, which skips fetching them: about 40% of a full read at 20,000 elements). With
     * {@link #readSet} and {@link #readMap} per set and map, this reads the table in small steps.
     */
    public static Optional<KernelTable> readDeclarations(Nftables nft) throws NftablesException {
        return readDeclarations(nft::listTable);
    }

    /** As {@link #readDeclarations(Nftables)}, with the listings made by {@code lister}. */
    public static Optional<KernelTable> readDeclarations(Lister lister) throws NftablesException {
        return read(lister, Ruleset.FAMILY, Ruleset.TABLE, EnumSet.of(OutputFlag.JSON, OutputFlag.TERSE));
    }

    /**
     * Lists a table as {@link Nftables#listTable} does: {@code list table FAMILY TABLE} with these output flags, or
     * empty when there is no such table. A context of this process, or a child {@code nft} process.
     */
    @FunctionalInterface
    public interface Lister {
        Optional<String> listTable(String family, String table, Set<OutputFlag> flags) throws NftablesException;
    }

    /**
     * One set of table {@code inet nftpolicy} with its elements ({@code list set}: libnftables fetches only that
     * set's elements), parsed as in a table listing. Empty when there is no such set.
     *
     * @throws KernelTableFormatException the listing is not a set nftpolicy could have written
     */
    public static Optional<NamedSet> readSet(Nftables nft, String name) throws NftablesException {
        return listOne(nft, "set", name).map(json -> parseSet(json, name));
    }

    /** As {@link #readSet}, for a verdict map ({@code list map}). */
    public static Optional<VerdictMap> readMap(Nftables nft, String name) throws NftablesException {
        return listOne(nft, "map", name).map(json -> parseMap(json, name));
    }

    /** Parses the JSON of {@code list set inet nftpolicy NAME}: exactly that set. */
    public static NamedSet parseSet(String json, String name) {
        TableListing listing = TableListing.of(json, Ruleset.FAMILY, Ruleset.TABLE);
        if (listing.sets.size() != 1 || !listing.maps.isEmpty() || !listing.chains.isEmpty()
                || !listing.sets.get(0).name().equals(name)) {
            throw JsonAt.format("nftables", "expected the listing of set " + name + " alone");
        }
        return listing.sets.get(0);
    }

    /** Parses the JSON of {@code list map inet nftpolicy NAME}: exactly that verdict map. */
    public static VerdictMap parseMap(String json, String name) {
        TableListing listing = TableListing.of(json, Ruleset.FAMILY, Ruleset.TABLE);
        if (listing.maps.size() != 1 || !listing.sets.isEmpty() || !listing.chains.isEmpty()
                || !listing.maps.get(0).name().equals(name)) {
            throw JsonAt.format("nftables", "expected the listing of map " + name + " alone");
        }
        return listing.maps.get(0);
    }

    private static Optional<String> listOne(Nftables nft, String kind, String name) throws NftablesException {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("not a " + kind + " name: " + name);
        }
        try {
            return Optional.of(nft.runJson("list " + kind + " " + Ruleset.FAMILY + " " + Ruleset.TABLE + " " + name));
        } catch (NftablesException e) {
            if (e.isNoSuchObject()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * The JSON and the text listing are two libnftables commands, each consistent on its own. A transaction
     * committed between them (by a writer, or for a reader, that does not take {@code TableLock}) would pair the
     * JSON of one table with the comments of another: {@code ApplyKillKernelTest} read back chains that a concurrent
     * apply had just created, with no comment. When the two listings list different chains, both are read again.
     */
    private static final int CONSISTENT_READ_ATTEMPTS = 5;

    private static Optional<KernelTable> read(Nftables nft, String family, String table, Set<OutputFlag> flags)
            throws NftablesException {
        return read(nft::listTable, family, table, flags);
    }

    private static Optional<KernelTable> read(Lister nft, String family, String table, Set<OutputFlag> flags)
            throws NftablesException {
        for (int attempt = 1; ; attempt++) {
            Optional<String> json = nft.listTable(family, table, flags);
            if (json.isEmpty()) {
                return Optional.empty();
            }
            String listed = json.get();
            boolean flagged = TABLE_FLAGS.matcher(listed).find();
            TableListing listing = TableListing.of(flagged ? withoutTableFlags(listed) : listed);
            if (listing.hasOwnComments() && !flagged) {
                return Optional.of(listing.build(Optional.empty()));
            }
            Optional<String> text = nft.listTable(family, table, EnumSet.of(OutputFlag.TERSE));
            if (text.isEmpty()) {
                return Optional.empty(); // deleted between the two listings: gone is the latest truth
            }
            TextComments comments = TextComments.parse(text.get(), listing.family, listing.name);
            if (comments.chainNames().equals(listing.chainNames()) || attempt == CONSISTENT_READ_ATTEMPTS) {
                return Optional.of(listing.build(Optional.of(comments)));
            }
        }
    }

    /**
     * libnftables 1.0.6 prints a table's flags in JSON from freed memory: {@code "flags": "Lester Gooch #5"}, or
     * {@code "inet"}, or nothing at all. The text listing has them right, so they are taken from there, and the
     * JSON's are cut out before it is parsed: from {@code "flags":} to the end of the table object, which is the
     * last thing libnftables prints in it.
     */
    static String withoutTableFlags(String json) {
        Matcher m = TABLE_FLAGS.matcher(json);
        if (!m.find()) {
            return json;
        }
        int from = m.start(1);
        int next = json.indexOf("}}, {\"", from);
        int last = json.indexOf("}}]}", from);
        int end = next < 0 ? last : last < 0 ? next : Math.min(next, last);
        if (end < 0) {
            throw JsonAt.format("nftables[1].table.flags", "a listing cut short after the table's flags");
        }
        return json.substring(0, from) + json.substring(end);
    }

    /**
     * Parses the JSON listing of one table. The table's and chains' comments are those the JSON carries (none with
     * libnftables 1.0.6: use {@link #parse(String, String)} for them).
     *
     * @throws KernelTableFormatException malformed JSON, or not a table nftpolicy could have written
     */
    public static KernelTable parse(String json) {
        return TableListing.of(json).build(Optional.empty());
    }

    /**
     * As {@link #parse(String)}, with the comments of the table and its chains taken from {@code textListing} (nft's
     * text listing of the same table, {@code list table}, terse or not) wherever the JSON has none.
     */
    public static KernelTable parse(String json, String textListing) {
        TableListing listing = TableListing.of(json);
        return listing.build(Optional.of(TextComments.parse(textListing, listing.family, listing.name)));
    }
}
