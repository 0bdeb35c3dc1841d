package io.nftpolicy.backend.kernel;

import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.List;

/**
 * nftpolicy's table as the kernel holds it, read back as JSON. Sets and maps are exact (typed keys, element
 * comments), so they compare element by element with the committed model. Rules are not turned back into nft text:
 * each is summarised by a {@link RuleDigest} and its whole {@link RuleExpression}.
 *
 * @param flags   the table's flags ({@code dormant}: every base chain is off); nftpolicy sets none
 * @param foreign what the table holds that nftpolicy never writes, to be deleted
 */
public record KernelTable(String comment, List<NamedSet> sets, List<VerdictMap> maps, List<KernelChain> chains,
                          List<String> flags, List<ForeignObject> foreign) {
    public KernelTable {
        comment = comment == null ? "" : comment;
        sets = List.copyOf(sets);
        maps = List.copyOf(maps);
        chains = List.copyOf(chains);
        flags = List.copyOf(flags);
        foreign = List.copyOf(foreign);
    }

    /** A table with no flags and nothing foreign. */
    public KernelTable(String comment, List<NamedSet> sets, List<VerdictMap> maps, List<KernelChain> chains) {
        this(comment, sets, maps, chains, List.of(), List.of());
    }

    /** The same table with every set and map empty: what a terse listing (declarations only) shows. */
    public KernelTable withoutElements() {
        return new KernelTable(comment,
                sets.stream().map(s -> s.withElements(List.of()))
                        .toList(),
                maps.stream().map(m -> new VerdictMap(m.name(), m.keyType(), m.comment(), List.of())).toList(),
                chains, flags, foreign);
    }
}
