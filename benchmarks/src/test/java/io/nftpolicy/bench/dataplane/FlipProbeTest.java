package io.nftpolicy.bench.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FlipProbeTest {
    private static final long CHANGE_AFTER_MILLIS = 150;

    private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(2);

    @AfterEach
    void stop() {
        timer.shutdownNow();
    }

    @Test
    void aPathThatStartsToConnectFlipsWhenTheServerStartsListening() throws Exception {
        int port = freePort();
        ServerSocket[] server = new ServerSocket[1];
        AtomicLong armed = new AtomicLong(System.nanoTime());
        timer.schedule(() -> server[0] = listen(port), CHANGE_AFTER_MILLIS, TimeUnit.MILLISECONDS);
        try {
            long flip = FlipProbe.await(loopback(port), true, armed, Duration.ofSeconds(5));

            assertThat(flip / 1e6).isBetween(CHANGE_AFTER_MILLIS - 1.0, CHANGE_AFTER_MILLIS + 100.0);
        } finally {
            Thread.sleep(50);
            if (server[0] != null) {
                server[0].close();
            }
        }
    }

    @Test
    void aPathThatStopsConnectingFlipsWhenTheServerGoesAway() throws Exception {
        ServerSocket server = listen(0);
        AtomicLong armed = new AtomicLong(System.nanoTime());
        timer.schedule(() -> close(server), CHANGE_AFTER_MILLIS, TimeUnit.MILLISECONDS);

        long flip = FlipProbe.await(loopback(server.getLocalPort()), false, armed, Duration.ofSeconds(5));

        assertThat(flip / 1e6).isBetween(CHANGE_AFTER_MILLIS - 1.0, CHANGE_AFTER_MILLIS + 100.0);
    }

    @Test
    void attemptsStartedBeforeTheProbeIsArmedDoNotCount() throws Exception {
        int port = freePort(); // nothing listens: every attempt is refused at once
        AtomicLong armed = new AtomicLong(Long.MAX_VALUE);
        timer.schedule(() -> armed.set(System.nanoTime()), CHANGE_AFTER_MILLIS, TimeUnit.MILLISECONDS);

        long flip = FlipProbe.await(loopback(port), false, armed, Duration.ofSeconds(5));
        long returned = System.nanoTime();

        assertThat(returned).isGreaterThan(armed.get());
        assertThat(flip).isBetween(0L, Duration.ofMillis(50).toNanos());
    }

    @Test
    void noFlipWithinTheTimeoutIsAnError() throws Exception {
        int port = freePort();

        assertThatThrownBy(() -> FlipProbe.await(loopback(port), true, new AtomicLong(System.nanoTime()),
                Duration.ofMillis(300)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("no flip to connecting");
    }

    /** A server that accepts (so that its backlog never fills and turns connections away) until closed. */
    private ServerSocket listen(int port) {
        try {
            ServerSocket server = new ServerSocket(port, 200, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                while (!server.isClosed()) {
                    try (Socket ignored = server.accept()) {
                        // accepted and closed
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            return server;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void close(ServerSocket server) {
        try {
            server.close();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
