package io.nftpolicy.lab;

import io.nftpolicy.backend.netns.NetnsThread;
import io.nftpolicy.cluster.Protocol;
import java.io.IOException;
import java.net.BindException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs many probes at once and says which reached the pod they aimed at.
 *
 * <p>nftables drops blocked packets, so a blocked probe only ends when its timeout does; run one after another, a
 * matrix would cost one timeout per blocked cell. Here every probe's socket is created in its source namespace (by
 * that namespace's {@link NetnsThread}) and then driven, non-blocking, from one selector on the calling thread, so
 * a whole matrix costs about one timeout however many cells are blocked.
 *
 * <p>A probe succeeds only when the answer is the destination pod's name: a reply from some other pod (a stale
 * address, a mis-route) counts as blocked, as do a reset, an ICMP error and silence.
 */
final class Prober {
    /** One connection attempt from a source namespace to a pod's address and endpoint. */
    record Probe(NetnsThread source, InetSocketAddress target, Protocol protocol, String expectedName) {}

    private static final ByteBuffer PING = ByteBuffer.wrap(new byte[] {'?'});
    /**
     * Source ports of UDP probes, taken in turn below the kernel's ephemeral range. A lab runs one test after another
     * on the same nodes, and an allowed UDP probe leaves a conntrack entry for up to 120 s: a later probe of the same
     * pair that happened to get the same ephemeral port would be accepted as an established flow whatever the
     * policies say by then. Ports handed out in turn do not repeat within the thousands of probes a lab makes.
     */
    private static final int FIRST_UDP_SOURCE_PORT = 20_000;
    private static final int UDP_SOURCE_PORTS = 12_000;
    private static final AtomicInteger NEXT_UDP_SOURCE = new AtomicInteger();

    private Prober() {}

    /** Runs all probes in parallel and says, in the same order, whether each connected. */
    static boolean[] run(List<Probe> probes, Duration timeout) {
        List<Attempt> attempts = openAll(probes);
        try (Selector selector = Selector.open()) {
            long start = System.nanoTime();
            long deadline = start + timeout.toNanos();
            long resendAt = start + timeout.toNanos() / 2; // UDP's one retry, for a datagram lost on the way
            boolean resent = false;
            for (Attempt attempt : attempts) {
                attempt.begin(selector);
            }
            while (Attempt.pending(attempts)) {
                long now = System.nanoTime();
                if (!resent && now >= resendAt) {
                    attempts.forEach(Attempt::resend);
                    resent = true;
                }
                if (now >= deadline) {
                    selector.selectNow(); // take what has arrived by now before giving up on the rest
                    handleReady(selector);
                    break;
                }
                long wakeAt = resent ? deadline : Math.min(deadline, resendAt);
                selector.select(Math.max(1, (wakeAt - now + 999_999) / 1_000_000));
                handleReady(selector);
            }
        } catch (IOException e) {
            throw new IllegalStateException("probe selector failed: " + e.getMessage(), e);
        } finally {
            attempts.forEach(Attempt::finish);
        }
        boolean[] results = new boolean[probes.size()];
        attempts.forEach(a -> results[a.index] = a.connected);
        return results;
    }

    private static void handleReady(Selector selector) {
        for (SelectionKey key : selector.selectedKeys()) {
            ((Attempt) key.attachment()).ready(key);
        }
        selector.selectedKeys().clear();
    }

    /** Creates each probe's socket in its source namespace, all namespaces at once. */
    private static List<Attempt> openAll(List<Probe> probes) {
        Map<NetnsThread, List<Integer>> bySource = new IdentityHashMap<>();
        for (int i = 0; i < probes.size(); i++) {
            bySource.computeIfAbsent(probes.get(i).source(), s -> new ArrayList<>()).add(i);
        }
        List<CompletableFuture<List<Attempt>>> opening = new ArrayList<>();
        bySource.forEach((source, group) -> opening.add(source.submit(() -> {
            List<Attempt> opened = new ArrayList<>();
            try {
                for (int index : group) {
                    opened.add(new Attempt(index, probes.get(index), open(probes.get(index))));
                }
            } catch (IOException | RuntimeException e) {
                opened.forEach(Attempt::finish);
                throw e;
            }
            return opened;
        })));
        List<Attempt> attempts = new ArrayList<>();
        RuntimeException failure = null;
        for (CompletableFuture<List<Attempt>> future : opening) {
            try {
                attempts.addAll(future.join());
            } catch (RuntimeException e) {
                failure = failure != null ? failure : e;
            }
        }
        if (failure != null) {
            attempts.forEach(Attempt::finish);
            throw new IllegalStateException("cannot open probe sockets: " + failure.getMessage(), failure);
        }
        return attempts;
    }

    private static SelectableChannel open(Probe probe) throws IOException {
        StandardProtocolFamily family = probe.target().getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        SelectableChannel channel = probe.protocol() == Protocol.TCP
                ? SocketChannel.open(family) : DatagramChannel.open(family);
        channel.configureBlocking(false);
        return channel;
    }

    /** The state of one probe: its socket, what has been read so far, and the verdict once there is one. */
    private static final class Attempt {
        final int index;
        final Probe probe;
        final SelectableChannel channel;
        final ByteBuffer answer = ByteBuffer.allocate(512);
        boolean done;
        boolean connected;

        /** Whether any attempt still waits for its verdict; cheap next to the select it guards. */
        static boolean pending(List<Attempt> attempts) {
            for (Attempt attempt : attempts) {
                if (!attempt.done) {
                    return true;
                }
            }
            return false;
        }

        Attempt(int index, Probe probe, SelectableChannel channel) {
            this.index = index;
            this.probe = probe;
            this.channel = channel;
        }

        void begin(Selector selector) {
            try {
                if (channel instanceof SocketChannel tcp) {
                    if (tcp.connect(probe.target())) {
                        tcp.write(PING.duplicate());
                        tcp.register(selector, SelectionKey.OP_READ, this);
                    } else {
                        tcp.register(selector, SelectionKey.OP_CONNECT, this);
                    }
                } else {
                    DatagramChannel udp = (DatagramChannel) channel;
                    bindFreshSourcePort(udp);
                    udp.connect(probe.target()); // connected, so that an ICMP error ends the probe at once
                    udp.write(PING.duplicate());
                    udp.register(selector, SelectionKey.OP_READ, this);
                }
            } catch (IOException e) {
                conclude(false);
            }
        }

        private static void bindFreshSourcePort(DatagramChannel udp) throws IOException {
            int port = FIRST_UDP_SOURCE_PORT + Math.floorMod(NEXT_UDP_SOURCE.getAndIncrement(), UDP_SOURCE_PORTS);
            try {
                udp.bind(new InetSocketAddress(port));
            } catch (BindException inUse) {
                udp.bind(null); // a pod's own server holds it: any port is better than none
            }
        }

        void ready(SelectionKey key) {
            if (done) {
                return;
            }
            try {
                if (key.isValid() && key.isConnectable()) {
                    SocketChannel tcp = (SocketChannel) channel;
                    if (tcp.finishConnect()) {
                        tcp.write(PING.duplicate());
                        key.interestOps(SelectionKey.OP_READ);
                    }
                } else if (key.isValid() && key.isReadable()) {
                    int read = channel instanceof SocketChannel tcp ? tcp.read(answer)
                            : ((DatagramChannel) channel).read(answer);
                    if (read < 0 || channel instanceof DatagramChannel || !answer.hasRemaining()
                            || containsNewline()) {
                        conclude(answered());
                    }
                }
            } catch (IOException e) {
                conclude(false); // refused, reset, ICMP unreachable
            }
        }

        void resend() {
            if (!done && channel instanceof DatagramChannel udp) {
                try {
                    udp.write(PING.duplicate());
                } catch (IOException e) {
                    conclude(false);
                }
            }
        }

        private boolean containsNewline() {
            for (int i = 0; i < answer.position(); i++) {
                if (answer.get(i) == '\n') {
                    return true;
                }
            }
            return false;
        }

        private boolean answered() {
            String text = new String(answer.array(), 0, answer.position(), StandardCharsets.UTF_8);
            return text.equals(probe.expectedName() + "\n");
        }

        private void conclude(boolean result) {
            connected = result;
            done = true;
            finish();
        }

        /** Closes the socket; closing a half-open TCP attempt also stops the kernel retransmitting its SYN. */
        void finish() {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing left to do for this probe
            }
        }
    }
}
