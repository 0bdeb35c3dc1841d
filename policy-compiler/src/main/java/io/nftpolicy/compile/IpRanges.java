package io.nftpolicy.compile;

import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import java.util.List;

/** Range arithmetic the compiler needs: an ipBlock's cidr minus its excepts, and whether it holds an address. */
final class IpRanges {
    private IpRanges() {}

    /** The parts of {@code whole} not covered by any of {@code holes}, in order; holes must be of its family. */
    static List<IpRange> subtract(IpRange whole, List<IpRange> holes) {
        RangeSet<IpAddress> rest = TreeRangeSet.create(List.of(whole.asRange()));
        holes.forEach(hole -> rest.remove(hole.asRange()));
        return rest.asRanges().stream().map(r -> IpRange.of(r, whole.family())).toList();
    }

    /** Whether one of the ranges, sorted and disjoint, holds the address. */
    static boolean covers(List<IpRange> sorted, IpAddress address) {
        int low = 0;
        int high = sorted.size() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            IpRange r = sorted.get(mid);
            if (r.last().compareTo(address) < 0) {
                low = mid + 1;
            } else if (r.first().compareTo(address) > 0) {
                high = mid - 1;
            } else {
                return r.contains(address);
            }
        }
        return false;
    }
}
