package io.nftpolicy.compile;

import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpRange;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Range arithmetic the compiler needs: an ipBlock's cidr minus its excepts, and whether it holds an address. */
final class IpRanges {
    private IpRanges() {}

    /** The parts of {@code whole} not covered by any of {@code holes}, in order; holes must be of its family. */
    static List<IpRange> subtract(IpRange whole, List<IpRange> holes) {
        List<IpRange> sorted = new ArrayList<>(holes);
        sorted.sort(Comparator.naturalOrder());
        List<IpRange> result = new ArrayList<>();
        var cursor = whole.first();
        boolean exhausted = false;
        for (IpRange hole : sorted) {
            if (exhausted || hole.last().compareTo(cursor) < 0) {
                continue;
            }
            if (hole.first().compareTo(cursor) > 0) {
                result.add(new IpRange(cursor, hole.first().previous()));
            }
            if (hole.last().compareTo(whole.last()) >= 0) {
                exhausted = true;
            } else {
                cursor = hole.last().next();
            }
        }
        if (!exhausted) {
            result.add(new IpRange(cursor, whole.last()));
        }
        return result;
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
