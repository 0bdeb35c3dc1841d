package io.nftpolicy.compile;

import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.net.IpRange;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Opt-in measurement, not a test (surefire's default includes do not match its name): the cidr-minus-except and
 * range merging on Guava's TreeRangeSet ({@link IpRanges#subtract}, {@code tier.Ranges.merge}) against the
 * hand-written sweeps they replaced, kept below only as this measurement's baseline. Same inputs, outputs checked
 * equal, medians of this thread's CPU time over the second half of the rounds. Run:
 * <pre>
 * mvn -B -q -pl policy-compiler test -Dtest=RangeSetMeasurement -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class RangeSetMeasurement {
    private static final int ROUNDS = Integer.getInteger("rounds", 400);
    private static final java.lang.management.ThreadMXBean THREADS =
            java.lang.management.ManagementFactory.getThreadMXBean();

    @Test
    void measure() throws ReflectiveOperationException {
        Method merge = Class.forName("io.nftpolicy.tier.Ranges").getDeclaredMethod("merge", List.class);
        merge.setAccessible(true);
        Random random = new Random(1);
        // ipBlocks as the generated clusters write them: a /16 with 0 to 4 excepts of /24 to /28 inside it
        List<IpRange> cidrs = new ArrayList<>();
        List<List<IpRange>> excepts = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            int b = random.nextInt(256);
            cidrs.add(Cidr.parse("10." + b + ".0.0/16"));
            List<IpRange> holes = new ArrayList<>();
            for (int k = random.nextInt(5); k > 0; k--) {
                holes.add(Cidr.parse("10." + b + "." + random.nextInt(256) + "." + random.nextInt(256) + "/"
                        + (24 + random.nextInt(5))));
            }
            excepts.add(holes);
        }
        // ClusterNetworkPolicy networks: 50 prefixes of both families, overlapping and adjacent
        List<List<IpRange>> networks = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            List<IpRange> list = new ArrayList<>();
            for (int k = 0; k < 50; k++) {
                list.add(random.nextBoolean()
                        ? Cidr.parse("10.0." + random.nextInt(64) + ".0/" + (22 + random.nextInt(3)))
                        : Cidr.parse("fd00:0:0:" + Integer.toHexString(random.nextInt(64)) + "::/"
                                + (62 + random.nextInt(3))));
            }
            if (i % 10 == 0) {
                list.add(IpRange.all(IpFamily.IPV4));
                list.add(Cidr.parse("ffff::/16"));
            }
            networks.add(list);
        }
        for (int i = 0; i < cidrs.size(); i++) {
            List<IpRange> expected = Baseline.subtract(cidrs.get(i), excepts.get(i));
            if (!IpRanges.subtract(cidrs.get(i), excepts.get(i)).equals(expected)) {
                throw new AssertionError("subtract differs at " + i);
            }
        }
        for (List<IpRange> list : networks) {
            if (!merge.invoke(null, list).equals(Baseline.merge(list))) {
                throw new AssertionError("merge differs for " + list);
            }
        }
        double[][] micros = new double[4][ROUNDS];
        long sink = 0;
        for (int round = 0; round < ROUNDS; round++) {
            long t0 = THREADS.getCurrentThreadCpuTime();
            for (int i = 0; i < cidrs.size(); i++) {
                sink += Baseline.subtract(cidrs.get(i), excepts.get(i)).size();
            }
            long t1 = THREADS.getCurrentThreadCpuTime();
            for (int i = 0; i < cidrs.size(); i++) {
                sink += IpRanges.subtract(cidrs.get(i), excepts.get(i)).size();
            }
            long t2 = THREADS.getCurrentThreadCpuTime();
            for (List<IpRange> list : networks) {
                sink += Baseline.merge(list).size();
            }
            long t3 = THREADS.getCurrentThreadCpuTime();
            for (List<IpRange> list : networks) {
                sink += ((List<?>) merge.invoke(null, list)).size();
            }
            long t4 = THREADS.getCurrentThreadCpuTime();
            micros[0][round] = (t1 - t0) / 1e3 / cidrs.size();
            micros[1][round] = (t2 - t1) / 1e3 / cidrs.size();
            micros[2][round] = (t3 - t2) / 1e3 / networks.size();
            micros[3][round] = (t4 - t3) / 1e3 / networks.size();
        }
        for (double[] m : micros) {
            Arrays.sort(m, ROUNDS / 2, ROUNDS);
        }
        int median = ROUNDS / 2 + ROUNDS / 4;
        System.out.printf(Locale.ROOT, "CPU medians of the last %d of %d rounds (sink %d):%n", ROUNDS / 2, ROUNDS,
                sink);
        System.out.printf(Locale.ROOT, "  cidr minus except, per ipBlock: hand-written %.2f us, TreeRangeSet %.2f us%n",
                micros[0][median], micros[1][median]);
        System.out.printf(Locale.ROOT, "  merge of 50 prefixes, per list: hand-written %.2f us, TreeRangeSet %.2f us%n",
                micros[2][median], micros[3][median]);
    }

    /** The hand-written arithmetic TreeRangeSet replaced (until c71c51a), as this measurement's baseline. */
    private static final class Baseline {
        static List<IpRange> subtract(IpRange whole, List<IpRange> holes) {
            List<IpRange> sorted = new ArrayList<>(holes);
            sorted.sort(null);
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

        static List<IpRange> merge(List<IpRange> ranges) {
            List<IpRange> sorted = new ArrayList<>(ranges);
            sorted.sort(null);
            List<IpRange> merged = new ArrayList<>();
            for (IpRange r : sorted) {
                if (!merged.isEmpty()) {
                    IpRange last = merged.get(merged.size() - 1);
                    if (last.family() == r.family()
                            && (last.contains(r.first())
                                    || (!last.last().isMax() && last.last().next().equals(r.first())))) {
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
}
