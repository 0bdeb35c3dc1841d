package io.nftpolicy.tier;

import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import java.util.ArrayList;
import java.util.List;

/** Address ranges made disjoint, as an interval set needs them. */
final class Ranges {
    private Ranges() {}

    /** The ranges sorted, overlapping and adjacent ones joined; families apart, IPv4 first. */
    static List<IpRange> merge(List<IpRange> ranges) {
        List<IpRange> merged = new ArrayList<>();
        for (IpFamily family : IpFamily.values()) {
            RangeSet<IpAddress> union = TreeRangeSet.create(
                    ranges.stream().filter(r -> r.family() == family).map(IpRange::asRange).toList());
            union.asRanges().forEach(r -> merged.add(IpRange.of(r, family)));
        }
        return List.copyOf(merged);
    }
}
