package io.nftpolicy.tier;

import io.nftpolicy.net.IpRange;
import java.util.ArrayList;
import java.util.List;

/** Address ranges made disjoint, as an interval set needs them. */
final class Ranges {
    private Ranges() {}

    /** The ranges sorted, overlapping and adjacent ones joined; families never mix (they sort apart). */
    static List<IpRange> merge(List<IpRange> ranges) {
        List<IpRange> sorted = new ArrayList<>(ranges);
        sorted.sort(null);
        List<IpRange> merged = new ArrayList<>();
        for (IpRange r : sorted) {
            if (!merged.isEmpty()) {
                IpRange last = merged.get(merged.size() - 1);
                if (last.family() == r.family()
                        && (last.contains(r.first()) || (!last.last().isMax() && last.last().next().equals(r.first())))) {
                    if (r.last().compareTo(last.last()) > 0) {
                        merged.set(merged.size() - 1, new IpRange(last.first(), r.last()));
                    }
                    continue;
                }
            }
            merged.add(r);
        }
        return List.copyOf(merged);
    }
}
