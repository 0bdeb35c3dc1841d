package io.nftpolicy.lab;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;

/**
 * How many short TCP connections one client thread in one pod completes per second against another pod: connect,
 * send one byte, read the server's answer, close. This is what per-connection policy cost shows in: only a new
 * connection's first packet walks the policy chains, every later packet is accepted as established.
 *
 * <p>One client thread, on purpose: the rate is then limited by the round trip of one connection at a time, and so
 * by the CPU time each connection costs (client, kernel, and the lab's one server thread), rather than by how many
 * cores are free. On a shared machine that still varies with load; compare rates taken side by side.
 *
 * @param connections connections that completed (answer received)
 * @param failures    connections that were refused, reset or timed out; non-zero means the path is not open
 * @param nanos       how long the measurement ran
 */
public record ConnectionRate(int connections, int failures, long nanos) {
    private static final int CONNECT_TIMEOUT_MILLIS = 1000;

    public double perSecond() {
        return connections / (nanos / 1e9);
    }

    /** Two measurements of the same path taken as one, e.g. slices of a round interleaved with other layouts. */
    public ConnectionRate plus(ConnectionRate other) {
        return new ConnectionRate(connections + other.connections, failures + other.failures, nanos + other.nanos);
    }

    /**
     * Connects from {@code fromPod} to {@code toPod} on a TCP endpoint it serves, for {@code duration}, one
     * connection at a time, on the source pod's namespace thread.
     *
     * @throws IllegalArgumentException for a UDP endpoint or a family the destination lacks
     */
    public static ConnectionRate measure(Lab lab, String fromPod, String toPod, Endpoint endpoint, IpFamily family,
                                         Duration duration) throws Exception {
        if (endpoint.protocol() != Protocol.TCP) {
            throw new IllegalArgumentException("connection rate needs a TCP endpoint, got " + endpoint.label());
        }
        InetAddress address = lab.address(toPod, family).orElseThrow(() -> new IllegalArgumentException(
                toPod + " has no " + Reachability.familyLabel(family) + " address"));
        InetSocketAddress target = new InetSocketAddress(address, endpoint.port());
        return lab.callIn(fromPod, () -> loop(target, duration.toNanos()));
    }

    private static ConnectionRate loop(InetSocketAddress target, long durationNanos) {
        byte[] buffer = new byte[256];
        long start = System.nanoTime();
        long end = start + durationNanos;
        int connections = 0;
        int failures = 0;
        while (System.nanoTime() < end) {
            try (Socket socket = new Socket()) {
                socket.setSoLinger(true, 0); // close with a reset: no TIME_WAIT pile-up over many connections
                socket.setSoTimeout(CONNECT_TIMEOUT_MILLIS);
                socket.connect(target, CONNECT_TIMEOUT_MILLIS);
                socket.getOutputStream().write('x');
                InputStream in = socket.getInputStream();
                if (in.read(buffer) > 0) {
                    connections++;
                } else {
                    failures++;
                }
            } catch (IOException e) {
                failures++;
            }
        }
        return new ConnectionRate(connections, failures, System.nanoTime() - start);
    }
}
