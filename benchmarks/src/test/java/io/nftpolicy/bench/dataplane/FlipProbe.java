package io.nftpolicy.bench.dataplane;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * When a TCP path starts to connect, or stops: a new connection attempt every {@link #INTERVAL}, each given
 * {@link #DEADLINE} to complete, all in flight at once, on the calling thread (so, called inside a pod's network
 * namespace, from that pod). The flip is the start of the first attempt, after the caller armed the probe, that
 * begins a run of {@link #CONFIRMING} attempts (in the order they started) all with the wanted outcome.
 *
 * <p>Why this shape: a dropped SYN is sent again only after a second, so an attempt that fails tells about the
 * moment it started; many attempts in flight give both directions (denied to allowed, allowed to denied) the
 * resolution of the interval rather than of the deadline. A run of several confirms the flip, so that one attempt
 * that a loaded machine delays past its deadline does not pass for enforcement.
 */
final class FlipProbe {
    static final Duration INTERVAL = Duration.ofMillis(2);
    static final Duration DEADLINE = Duration.ofMillis(300);
    static final int CONFIRMING = 5;

    /** One attempt: when it started, and whether it connected ({@code null} while in flight). */
    static final class Attempt {
        final long start;
        final SocketChannel channel;
        Boolean connected;

        Attempt(long start, SocketChannel channel) {
            this.start = start;
            this.channel = channel;
        }
    }

    private FlipProbe() {}

    /**
     * Probes {@code target} until the flip to {@code wanted} is seen after {@code armedAt} (a nanoTime the caller
     * sets, from another thread, just before the change it times; {@link Long#MAX_VALUE} until then).
     *
     * @return nanoseconds from {@code armedAt} to the start of the flip's first attempt
     * @throws IllegalStateException when no flip is seen within {@code timeout} of the probe's start
     */
    static long await(InetSocketAddress target, boolean wanted, AtomicLong armedAt, Duration timeout)
            throws IOException {
        return await(target, wanted, armedAt::get, timeout);
    }

    static long await(InetSocketAddress target, boolean wanted, LongSupplier armedAt, Duration timeout)
            throws IOException {
        long end = System.nanoTime() + timeout.toNanos();
        List<Attempt> attempts = new ArrayList<>();
        try (Selector selector = Selector.open()) {
            long next = System.nanoTime();
            while (System.nanoTime() < end) {
                long now = System.nanoTime();
                if (now >= next) {
                    attempts.add(start(target, selector, now));
                    next = now + INTERVAL.toNanos();
                }
                selector.select(Math.max(1, (next - System.nanoTime()) / 1_000_000));
                for (SelectionKey key : selector.selectedKeys()) {
                    Attempt attempt = (Attempt) key.attachment();
                    attempt.connected = finish(attempt.channel);
                    close(attempt);
                }
                selector.selectedKeys().clear();
                now = System.nanoTime();
                for (Attempt attempt : attempts) {
                    if (attempt.connected == null && now - attempt.start > DEADLINE.toNanos()) {
                        attempt.connected = false;
                        close(attempt);
                    }
                }
                long flip = flip(attempts, wanted, armedAt.getAsLong());
                if (flip >= 0) {
                    return flip;
                }
                // Attempts before the first in flight are settled: keep only a tail long enough to find a run.
                int settled = 0;
                while (settled < attempts.size() - CONFIRMING && attempts.get(settled).connected != null
                        && attempts.get(settled).start < armedAt.getAsLong()) {
                    settled++;
                }
                attempts.subList(0, settled).clear();
            }
            throw new IllegalStateException("no flip to " + (wanted ? "connecting" : "not connecting") + " to "
                    + target + " within " + timeout);
        } finally {
            attempts.stream().filter(a -> a.channel.isOpen()).forEach(FlipProbe::close);
        }
    }

    /**
     * The start of the first attempt at or after {@code armedAt} that begins a run of {@link #CONFIRMING}
     * settled attempts with the wanted outcome, as nanoseconds after {@code armedAt}; -1 while there is none.
     */
    static long flip(List<Attempt> attempts, boolean wanted, long armedAt) {
        int run = 0;
        long runStart = -1;
        for (Attempt a : attempts) {
            if (a.start < armedAt) {
                continue;
            }
            if (a.connected == null) {
                return -1; // outcomes are read in the order attempts started
            }
            if (a.connected == wanted) {
                if (run++ == 0) {
                    runStart = a.start;
                }
                if (run == CONFIRMING) {
                    return runStart - armedAt;
                }
            } else {
                run = 0;
            }
        }
        return -1;
    }

    private static Attempt start(InetSocketAddress target, Selector selector, long now) throws IOException {
        SocketChannel channel = SocketChannel.open();
        channel.configureBlocking(false);
        channel.setOption(StandardSocketOptions.SO_LINGER, 0); // a reset at close: no TIME_WAIT pile-up
        Attempt attempt = new Attempt(now, channel);
        try {
            if (channel.connect(target)) {
                attempt.connected = true;
                close(attempt);
            } else {
                channel.register(selector, SelectionKey.OP_CONNECT, attempt);
            }
        } catch (IOException refused) {
            attempt.connected = false;
            close(attempt);
        }
        return attempt;
    }

    private static boolean finish(SocketChannel channel) {
        try {
            return channel.finishConnect();
        } catch (IOException refusedOrReset) {
            return false;
        }
    }

    private static void close(Attempt attempt) {
        try {
            attempt.channel.close();
        } catch (IOException ignored) {
            // closing a probe socket: nothing to do about it
        }
    }
}
