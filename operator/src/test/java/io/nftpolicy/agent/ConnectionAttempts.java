package io.nftpolicy.agent;

import io.nftpolicy.lab.Lab;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * New TCP connections from a lab pod to an address, one started every {@code intervalMillis} without waiting for
 * the previous ones, each given {@code timeoutMillis} to connect (well under the first SYN retransmission, so a
 * connection counts as made only when its first SYN passed). This tells when the kernel's verdict for new
 * connections changed, to within the interval, whichever way it changed.
 */
final class ConnectionAttempts implements AutoCloseable {
    /** One attempt: when it started ({@link System#nanoTime()}) and whether it connected in time. */
    record Attempt(long startNanos, boolean connected) {}

    private final Lab lab;
    private final String fromPod;
    private final InetSocketAddress to;
    private final long intervalNanos;
    private final long timeoutNanos;
    private final List<Attempt> attempts = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    private ConnectionAttempts(Lab lab, String fromPod, InetSocketAddress to, long intervalMillis, long timeoutMillis) {
        this.lab = lab;
        this.fromPod = fromPod;
        this.to = to;
        this.intervalNanos = intervalMillis * 1_000_000;
        this.timeoutNanos = timeoutMillis * 1_000_000;
        this.thread = new Thread(this::run, "connection-attempts-" + fromPod);
        thread.setDaemon(true);
    }

    static ConnectionAttempts start(Lab lab, String fromPod, InetSocketAddress to, long intervalMillis,
                                    long timeoutMillis) {
        ConnectionAttempts a = new ConnectionAttempts(lab, fromPod, to, intervalMillis, timeoutMillis);
        a.thread.start();
        return a;
    }

    private record Pending(SocketChannel channel, long startNanos) {}

    private void run() {
        try (Selector selector = Selector.open()) {
            long next = System.nanoTime();
            while (running) {
                long now = System.nanoTime();
                if (now - next >= 0) {
                    // The socket must be made inside the pod's network namespace; connecting can happen anywhere.
                    SocketChannel channel = lab.callIn(fromPod, SocketChannel::open);
                    channel.configureBlocking(false);
                    long start = System.nanoTime();
                    if (channel.connect(to)) {
                        record(new Attempt(start, true));
                        channel.close();
                    } else {
                        channel.register(selector, SelectionKey.OP_CONNECT, new Pending(channel, start));
                    }
                    next += intervalNanos;
                }
                selector.select(Math.max(1, (next - System.nanoTime()) / 1_000_000));
                for (SelectionKey key : selector.selectedKeys()) {
                    Pending p = (Pending) key.attachment();
                    boolean connected;
                    try {
                        connected = p.channel().finishConnect();
                    } catch (IOException e) {
                        connected = false; // refused or unreachable: not through either
                    }
                    if (connected || !p.channel().isConnectionPending()) {
                        record(new Attempt(p.startNanos(), connected));
                        key.cancel();
                        p.channel().close();
                    }
                }
                selector.selectedKeys().clear();
                long expired = System.nanoTime();
                for (SelectionKey key : selector.keys()) {
                    Pending p = (Pending) key.attachment();
                    if (key.isValid() && expired - p.startNanos() > timeoutNanos) {
                        record(new Attempt(p.startNanos(), false));
                        key.cancel();
                        p.channel().close();
                    }
                }
            }
            for (SelectionKey key : selector.keys()) {
                key.channel().close();
            }
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void record(Attempt attempt) {
        synchronized (attempts) {
            attempts.add(attempt);
        }
    }

    /** Attempts finished so far, in no particular order. */
    List<Attempt> attempts() {
        if (failure != null) {
            throw new IllegalStateException("the connection attempts failed", failure);
        }
        synchronized (attempts) {
            return List.copyOf(attempts);
        }
    }

    /** Start of the first attempt from {@code sinceNanos} on that connected. */
    OptionalLong firstConnectedSince(long sinceNanos) {
        return attempts().stream().filter(a -> a.startNanos() - sinceNanos >= 0 && a.connected())
                .mapToLong(Attempt::startNanos).min();
    }

    /** Start of the last attempt from {@code sinceNanos} on that connected. */
    OptionalLong lastConnectedSince(long sinceNanos) {
        return attempts().stream().filter(a -> a.startNanos() - sinceNanos >= 0 && a.connected())
                .mapToLong(Attempt::startNanos).max();
    }

    /** Whether attempts that started at or after {@code sinceNanos} finished, and all with this outcome. */
    boolean allSince(long sinceNanos, boolean connected, int atLeast) {
        List<Attempt> since = attempts().stream().filter(a -> a.startNanos() - sinceNanos >= 0).toList();
        return since.size() >= atLeast && since.stream().allMatch(a -> a.connected() == connected);
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure instanceof IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
