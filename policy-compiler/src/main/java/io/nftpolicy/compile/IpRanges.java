package io.nftpolicy.compile;

import io.nftpolicy.net.IpRange;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Range arithmetic the compiler needs: an ipBlock's cidr minus its excepts. */
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
}
