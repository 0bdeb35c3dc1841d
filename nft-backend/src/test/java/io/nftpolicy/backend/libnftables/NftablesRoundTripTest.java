package io.nftpolicy.backend.libnftables;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.backend.netns.NetworkNamespace;
import io.nftpolicy.testing.KernelTest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a call through {@link Nftables} costs next to the bare libnftables call it makes: the hand-over to the
 * context's thread and back, plus the in-memory file for commands of several lines. The goal is an incremental
 * one-element transaction at most 3x the bare call; the figures are printed.
 *
 * <p>Bare and wrapped calls alternate in rounds, so that a noisy machine slows both alike. The hand-over is two
 * thread wake-ups: about 10 us on an idle machine, up to 60 us when every core is busy.
 */
@KernelTest
class NftablesRoundTripTest {
    private static final int ROUNDS = 5;
    private static final int PER_ROUND = 200;

    private NetworkNamespace ns;
    private Nftables nft;
    private int next;

    @BeforeEach
    void open() throws NftablesException {
        ns = NetworkNamespace.create("nftt-rtt");
        nft = ns.nftables();
        // A peer set and a dispatch map as the compiler declares them (hash sets: no interval).
        nft.run("""
                add table inet t
                add chain inet t c
                add set inet t peers { type ipv4_addr; comment "pods app=x"; }
                add map inet t dispatch { type ipv4_addr : verdict; }
                """);
    }

    @AfterEach
    void close() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void aOneElementTransactionThroughTheWrapperStaysCloseToABareCall() throws NftablesException {
        Figures noOp = measure("empty buffer", i -> "");
        Figures table = measure("add table (no change)", i -> "add table inet t");
        Figures element = measure("add one element", i -> "add element inet t peers { " + address(next++)
                + " comment \"ns/pod-" + i + "\" }");
        Figures twoLines = measure("add element + map element (2 lines)", i -> {
            String a = address(next++);
            return "add element inet t peers { " + a + " }\nadd element inet t dispatch { " + a + " : jump c }\n";
        });

        System.out.printf("libnftables round trip, %d calls each (bare = nft_run_cmd_from_buffer on the context's"
                + " thread; wrapped = Nftables.run from the test thread)%n", ROUNDS * PER_ROUND);
        for (Figures f : List.of(noOp, table, element, twoLines)) {
            System.out.println("  " + f);
        }
        // The goal is 3x (measured 1.2-2.0x, see README); the suite guards with 10x so that a CI machine busy with
        // other tests does not fail it, while a regression such as a thread or context per call (20x and more)
        // still does. Medians: the thread hand-over occasionally waits for a core.
        assertThat(Figures.median(element.wrapped())).as("one-element add: wrapped median vs 10x bare median")
                .isLessThanOrEqualTo(10 * Figures.median(element.bare()));
        assertThat(ns.nft("list", "set", "inet", "t", "peers")).contains(address(0) + " comment \"ns/pod-0\"");
    }

    private Figures measure(String what, IntFunction<String> command) throws NftablesException {
        // warm-up of both paths
        nft.timeBareCalls(commands(command, 50));
        for (String c : commands(command, 50)) {
            nft.run(c);
        }
        long[] bare = new long[ROUNDS * PER_ROUND];
        long[] wrapped = new long[ROUNDS * PER_ROUND];
        for (int r = 0; r < ROUNDS; r++) {
            long[] b = nft.timeBareCalls(commands(command, PER_ROUND));
            System.arraycopy(b, 0, bare, r * PER_ROUND, PER_ROUND);
            List<String> cs = commands(command, PER_ROUND);
            for (int i = 0; i < PER_ROUND; i++) {
                long start = System.nanoTime();
                nft.run(cs.get(i));
                wrapped[r * PER_ROUND + i] = System.nanoTime() - start;
            }
        }
        return new Figures(what, bare, wrapped);
    }

    private static List<String> commands(IntFunction<String> command, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(command.apply(i));
        }
        return out;
    }

    private static String address(int n) {
        return "10." + (n >> 16 & 0xff) + "." + (n >> 8 & 0xff) + "." + (n & 0xff);
    }

    record Figures(String what, long[] bare, long[] wrapped) {
        double bareMean() {
            return Arrays.stream(bare).average().orElseThrow() / 1000.0;
        }

        double wrappedMean() {
            return Arrays.stream(wrapped).average().orElseThrow() / 1000.0;
        }

        static double median(long[] nanos) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2] / 1000.0;
        }

        @Override
        public String toString() {
            return String.format("%-38s bare mean %7.1f us (median %7.1f)   wrapped mean %7.1f us (median %7.1f)"
                            + "   ratio of means %.2f", what, bareMean(), median(bare), wrappedMean(), median(wrapped),
                    wrappedMean() / bareMean());
        }
    }
}
