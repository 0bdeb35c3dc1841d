package io.nftpolicy.agent;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy on a loopback port in front of an API server (the mock, or kube-apiserver: TLS passes through), so that a test can do to the agent's connections
 * what a network failure or an API server restart does: {@link #cut()} closes every connection and refuses new ones
 * (each is accepted and closed at once), {@link #restore()} lets them through again.
 */
public final class CuttableProxy implements AutoCloseable {
    private final InetSocketAddress upstream;
    private final ServerSocket server;
    private final List<Socket> open = new ArrayList<>();
    private volatile boolean cut;
    private final java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();

    /** Connections refused since the start (while cut). */
    public int refused() {
        return refused.get();
    }

    public CuttableProxy(String upstreamHost, int upstreamPort) throws IOException {
        this(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()), upstreamHost, upstreamPort);
    }

    /**
     * In front of the upstream on a socket already listening: one made inside another network namespace (on a lab
     * node's thread) brings that namespace's clients to an API server on this namespace's loopback.
     */
    public CuttableProxy(ServerSocket listening, String upstreamHost, int upstreamPort) {
        this.upstream = new InetSocketAddress(upstreamHost, upstreamPort);
        this.server = listening;
        Thread accept = new Thread(this::accept, "proxy-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /** http://127.0.0.1:port, for a client's master URL. */
    public String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** The proxy's port on 127.0.0.1. */
    public int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return;
            }
            if (cut) {
                refused.incrementAndGet();
                closeQuietly(client);
                continue;
            }
            try {
                Socket target = new Socket(upstream.getAddress(), upstream.getPort());
                synchronized (open) {
                    open.add(client);
                    open.add(target);
                }
                pump(client, target);
                pump(target, client);
            } catch (IOException e) {
                closeQuietly(client);
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16384];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // closed by cut() or by either end
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "proxy-pump");
        t.setDaemon(true);
        t.start();
    }

    /** Closes every connection through the proxy and refuses new ones until {@link #restore()}. */
    public void cut() {
        cut = true;
        synchronized (open) {
            open.forEach(CuttableProxy::closeQuietly);
            open.clear();
        }
    }

    public void restore() {
        cut = false;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // nothing left to do
        }
    }

    @Override
    public void close() {
        cut();
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
