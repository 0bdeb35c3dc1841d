package io.nftpolicy.enforcement;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * One long-lived flow between two lab pods ({@link FlowServers}): its sender writes a message every 10 ms, the
 * server records each arrival and echoes it, and the flow records each echo. The times say when a flow was cut and
 * whether a flow was disturbed.
 */
final class Flow implements AutoCloseable {
    static final int MESSAGE = 8;
    private static final long INTERVAL_MILLIS = 10;

    private final String from;
    private final String to;
    private final boolean udp;
    private final List<Long> arrivals = new ArrayList<>();
    private final List<Long> echoes = new ArrayList<>();
    private ByteChannel channel;
    private volatile boolean closed;

    Flow(String from, String to, boolean udp) {
        this.from = from;
        this.to = to;
        this.udp = udp;
    }

    String from() {
        return from;
    }

    boolean udp() {
        return udp;
    }

    void start(ByteChannel channel) {
        this.channel = channel;
        Thread sender = new Thread(this::send, "send " + this);
        Thread receiver = new Thread(this::receive, "receive " + this);
        sender.setDaemon(true);
        receiver.setDaemon(true);
        sender.start();
        receiver.start();
    }

    private void send() {
        ByteBuffer message = ByteBuffer.allocate(MESSAGE);
        while (!closed) {
            message.clear();
            try {
                channel.write(message);
                Thread.sleep(INTERVAL_MILLIS);
            } catch (IOException | InterruptedException e) {
                // UDP: an ICMP error may fail one send; TCP: the connection is gone. Keep trying until closed.
                sleepQuietly();
            }
        }
    }

    private void receive() {
        ByteBuffer buffer = ByteBuffer.allocate(udp ? 64 : MESSAGE);
        while (!closed) {
            try {
                buffer.clear();
                if (udp) {
                    if (channel.read(buffer) > 0) {
                        record(echoes, System.nanoTime());
                    }
                    continue;
                }
                while (buffer.hasRemaining()) {
                    if (channel.read(buffer) < 0) {
                        return;
                    }
                }
                record(echoes, System.nanoTime());
            } catch (IOException e) {
                if (!udp) {
                    return;
                }
                sleepQuietly(); // UDP: an ICMP error surfaces on read
            }
        }
    }

    private static void sleepQuietly() {
        try {
            Thread.sleep(INTERVAL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void arrived(long nanos) {
        record(arrivals, nanos);
    }

    private void record(List<Long> times, long nanos) {
        synchronized (this) {
            times.add(nanos);
        }
    }

    /** Messages the server received at or after {@code nanos} (System.nanoTime). */
    synchronized long receivedSince(long nanos) {
        return arrivals.stream().filter(t -> t >= nanos).count();
    }

    /** Echoes the flow received at or after {@code nanos}. */
    synchronized long echoesSince(long nanos) {
        return echoes.stream().filter(t -> t >= nanos).count();
    }

    /** When the server last received a message; 0 if never. */
    synchronized long lastReceived() {
        return arrivals.isEmpty() ? 0 : arrivals.get(arrivals.size() - 1);
    }

    /** The longest time without an arrival, from 500 ms before {@code nanos} to the last arrival. */
    synchronized long longestGapAround(long nanos) {
        long longest = 0;
        long previous = -1;
        for (long t : arrivals) {
            if (t < nanos - 500_000_000L) {
                continue;
            }
            if (previous >= 0) {
                longest = Math.max(longest, t - previous);
            }
            previous = t;
        }
        return longest;
    }

    synchronized String describe(long change) {
        long last = lastReceived();
        return String.format("%-26s received %4d (%3d after the change), last %s, longest gap around it %.1f ms",
                this, arrivals.size(), receivedSince(change),
                last == 0 ? "never" : String.format("%+.1f ms from it", (last - change) / 1e6),
                longestGapAround(change) / 1e6);
    }

    @Override
    public String toString() {
        return from + " -> " + to + (udp ? " udp" : " tcp");
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
