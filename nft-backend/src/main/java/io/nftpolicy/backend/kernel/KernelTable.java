package io.nftpolicy.backend.kernel;

import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.List;

/**
 * nftpolicy's table as the kernel holds it, read back as JSON. Sets and maps are exact (typed keys, element
 * comments), so they compare element by element with the committed model. Rules are not turned back into nft text:
 * each is summarised by a {@link RuleDigest}, enough to notice rules that were removed, added or changed in
 * their verdict or the sets they use.
 */
public record KernelTable(String comment, List<NamedSet> sets, List<VerdictMap> maps, List<KernelChain> chains) {
    public KernelTable {
        comment = comment == null ? "" : comment;
        sets = List.copyOf(sets);
        maps = List.copyOf(maps);
        chains = List.copyOf(chains);
    }

    /** The same table with every set and map empty: what a terse listing (declarations only) shows. */
    public KernelTable withoutElements() {
        return new KernelTable(comment,
                sets.stream().map(s -> new NamedSet(s.name(), s.keyType(), s.interval(), s.comment(), List.of()))
                        .toList(),
                maps.stream().map(m -> new VerdictMap(m.name(), m.keyType(), m.comment(), List.of())).toList(),
                chains);
    }
}
