package io.nftpolicy.enforcement;

import io.nftpolicy.lab.EchoServer;
import io.nftpolicy.lab.Lab;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Echo servers ({@link EchoServer}) on TCP {@value #TCP_PORT} and UDP {@value #UDP_PORT} in lab pods, and
 * long-lived {@link Flow}s to them: what the kernel tests of established connections watch. A flow records when its
 * messages reached the server, and when their echoes came back.
 */
final class FlowServers implements AutoCloseable {
    static final int TCP_PORT = 9000;
    static final int UDP_PORT = 9001;

    private final Lab lab;
    private final Map<String, String> addresses;
    /** Per server pod and client address: the flow whose messages arrive (TCP and UDP keyed apart). */
    private final Map<String, Flow> arrivals = new ConcurrentHashMap<>();
    private final List<EchoServer> servers = new ArrayList<>();

    FlowServers(Lab lab, List<String> serverPods, Map<String, String> addresses) throws Exception {
        this.lab = lab;
        this.addresses = addresses;
        for (String pod : serverPods) {
            servers.add(EchoServer.start(lab, pod, InetAddress.getByName(addresses.get(pod)), TCP_PORT, UDP_PORT,
                    (client, udp, nanos) -> {
                        Flow flow = arrivals.get(key(pod, udp, client));
                        if (flow != null) {
                            flow.arrived(nanos);
                        }
                    }));
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

    @Override
    public void close() {
        servers.forEach(EchoServer::close);
    }
}
