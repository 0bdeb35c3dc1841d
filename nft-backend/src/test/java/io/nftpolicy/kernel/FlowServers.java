package io.nftpolicy.kernel;

import io.nftpolicy.lab.Lab;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Echo servers on TCP {@value #TCP_PORT} and UDP {@value #UDP_PORT} in lab pods, and long-lived {@link Flow}s to
 * them: what the kernel tests of established connections watch. Each server records, per client address, when a
 * message arrived; the flow records when its echo came back.
 */
final class FlowServers implements AutoCloseable {
    static final int TCP_PORT = 9000;
    static final int UDP_PORT = 9001;

    private final Lab lab;
    private final Map<String, String> addresses;
    /** Per server pod and client address: the flow whose messages arrive (TCP and UDP keyed apart). */
    private final Map<String, Flow> arrivals = new ConcurrentHashMap<>();
    private final List<AutoCloseable> sockets = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean closed;

    FlowServers(Lab lab, List<String> serverPods, Map<String, String> addresses) throws Exception {
        this.lab = lab;
        this.addresses = addresses;
        for (String pod : serverPods) {
            InetAddress address = InetAddress.getByName(addresses.get(pod));
            ServerSocketChannel tcp = lab.callIn(pod, () -> ServerSocketChannel.open()
                    .bind(new InetSocketAddress(address, TCP_PORT)));
            DatagramChannel udp = lab.callIn(pod, () -> DatagramChannel.open()
                    .bind(new InetSocketAddress(address, UDP_PORT)));
            sockets.add(tcp);
            sockets.add(udp);
            daemon("accept " + pod, () -> accept(pod, tcp));
            daemon("udp echo " + pod, () -> echoUdp(pod, udp));
        }
    }

    /** A TCP connection from {@code from} to {@code to}, sending a message every 10 ms. */
    Flow tcpFlow(String from, String to) throws Exception {
        Flow flow = new Flow(from, to, false);
        arrivals.put(key(to, false, addresses.get(from)), flow);
        SocketChannel channel = lab.callIn(from, () -> SocketChannel.open(
                new InetSocketAddress(addresses.get(to), TCP_PORT)));
        flow.start(channel);
        return flow;
    }

    /** UDP datagrams from {@code from} to {@code to}, one every 10 ms, over one connected socket (one flow). */
    Flow udpFlow(String from, String to) throws Exception {
        Flow flow = new Flow(from, to, true);
        arrivals.put(key(to, true, addresses.get(from)), flow);
        DatagramChannel channel = lab.callIn(from, () -> DatagramChannel.open()
                .connect(new InetSocketAddress(addresses.get(to), UDP_PORT)));
        flow.start(channel);
        return flow;
    }

    private static String key(String server, boolean udp, String clientAddress) {
        return server + (udp ? " udp " : " tcp ") + clientAddress;
    }

    private void accept(String pod, ServerSocketChannel server) {
        while (!closed) {
            SocketChannel connection;
            try {
                connection = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            String client = ((InetSocketAddress) connection.socket().getRemoteSocketAddress()).getAddress()
                    .getHostAddress();
            Flow flow = arrivals.get(key(pod, false, client));
            sockets.add(connection);
            daemon("tcp echo " + pod + " " + client, () -> echoTcp(connection, flow));
        }
    }

    private static void echoTcp(SocketChannel connection, Flow flow) {
        ByteBuffer buffer = ByteBuffer.allocate(Flow.MESSAGE);
        try {
            while (true) {
                buffer.clear();
                while (buffer.hasRemaining()) {
                    if (connection.read(buffer) < 0) {
                        return;
                    }
                }
                if (flow != null) {
                    flow.arrived(System.nanoTime());
                }
                buffer.flip();
                connection.write(buffer);
            }
        } catch (IOException e) {
            // closed or reset: the flow is over
        }
    }

    private void echoUdp(String pod, DatagramChannel udp) {
        ByteBuffer buffer = ByteBuffer.allocate(64);
        while (!closed) {
            try {
                buffer.clear();
                InetSocketAddress sender = (InetSocketAddress) udp.receive(buffer);
                Flow flow = arrivals.get(key(pod, true, sender.getAddress().getHostAddress()));
                if (flow != null) {
                    flow.arrived(System.nanoTime());
                }
                buffer.flip();
                udp.send(buffer, sender);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void daemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
    }

    @Override
    public void close() {
        closed = true;
        for (AutoCloseable socket : sockets) {
            try {
                socket.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
