package io.nftpolicy.lab;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP and a UDP echo server in one lab pod, for traffic that outlives one probe: long-lived flows whose cut is
 * watched (kernel tests of established flows), or request/response rates over one open connection (benchmarks).
 * Each read is echoed at once and reported to the listener with the client's address.
 */
public final class EchoServer implements AutoCloseable {
    /** Told of every read: who sent it, over which protocol, and when ({@link System#nanoTime()}). */
    @FunctionalInterface
    public interface Listener {
        void arrived(String clientAddress, boolean udp, long nanos);
    }

    private final Listener listener;
    private final List<AutoCloseable> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private EchoServer(Listener listener) {
        this.listener = listener;
    }

    /** Listens on {@code address}, TCP {@code tcpPort} and UDP {@code udpPort}, inside {@code pod}'s namespace. */
    public static EchoServer start(Lab lab, String pod, InetAddress address, int tcpPort, int udpPort,
                                   Listener listener) throws Exception {
        EchoServer server = new EchoServer(listener);
        ServerSocketChannel tcp = lab.callIn(pod, () -> ServerSocketChannel.open()
                .bind(new InetSocketAddress(address, tcpPort)));
        DatagramChannel udp = lab.callIn(pod, () -> DatagramChannel.open()
                .bind(new InetSocketAddress(address, udpPort)));
        server.sockets.add(tcp);
        server.sockets.add(udp);
        daemon("echo accept " + pod, () -> server.accept(tcp));
        daemon("echo udp " + pod, () -> server.echo(udp));
        return server;
    }

    private void accept(ServerSocketChannel server) {
        while (!closed) {
            try {
                SocketChannel connection = server.accept();
                sockets.add(connection);
                daemon("echo tcp", () -> echo(connection));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void echo(SocketChannel connection) {
        ByteBuffer buffer = ByteBuffer.allocate(512);
        try {
            String client = ((InetSocketAddress) connection.getRemoteAddress()).getAddress().getHostAddress();
            while (connection.read(buffer) >= 0) {
                listener.arrived(client, false, System.nanoTime());
                buffer.flip();
                while (buffer.hasRemaining()) {
                    connection.write(buffer);
                }
                buffer.clear();
            }
        } catch (IOException e) {
            // reset or closed: the flow is over
        }
    }

    private void echo(DatagramChannel udp) {
        ByteBuffer buffer = ByteBuffer.allocate(512);
        while (!closed) {
            try {
                buffer.clear();
                InetSocketAddress sender = (InetSocketAddress) udp.receive(buffer);
                listener.arrived(sender.getAddress().getHostAddress(), true, System.nanoTime());
                buffer.flip();
                udp.send(buffer, sender);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void daemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        closed = true;
        for (AutoCloseable socket : sockets) {
            try {
                socket.close();
            } catch (Exception e) {
                // closing the rest anyway
            }
        }
    }
}
