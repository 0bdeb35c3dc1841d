package io.nftpolicy.bench.established;

import io.nftpolicy.lab.Lab;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;

/** One open flow from a lab pod that sends a byte and waits for its echo, again and again. */
final class PingPong implements AutoCloseable {
    private final Socket tcp;
    private final DatagramSocket udp;

    private PingPong(Socket tcp, DatagramSocket udp) {
        this.tcp = tcp;
        this.udp = udp;
    }

    /** The socket is made in the pod's network namespace: a plain {@code new Socket()} would make it at connect time. */
    static PingPong open(Lab lab, String from, String address, int port, boolean udp) throws Exception {
        InetSocketAddress to = new InetSocketAddress(address, port);
        if (udp) {
            DatagramSocket socket = lab.callIn(from, DatagramSocket::new);
            socket.connect(to);
            socket.setSoTimeout(1000);
            return new PingPong(null, socket);
        }
        Socket socket = lab.callIn(from, () -> SocketChannel.open().socket());
        socket.connect(to, 1000);
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(1000);
        return new PingPong(socket, null);
    }

    /** Round trips completed per second over {@code nanos}. */
    double roundTripsPerSecond(long nanos) throws IOException {
        long start = System.nanoTime();
        long end = start + nanos;
        long trips = 0;
        if (tcp != null) {
            OutputStream out = tcp.getOutputStream();
            InputStream in = tcp.getInputStream();
            while (System.nanoTime() < end) {
                out.write(1);
                if (in.read() < 0) {
                    throw new IOException("the server closed the connection after " + trips + " round trips");
                }
                trips++;
            }
        } else {
            DatagramPacket ping = new DatagramPacket(new byte[1], 1);
            DatagramPacket pong = new DatagramPacket(new byte[64], 64);
            while (System.nanoTime() < end) {
                udp.send(ping);
                udp.receive(pong);
                trips++;
            }
        }
        return trips / ((System.nanoTime() - start) / 1e9);
    }

    @Override
    public void close() throws IOException {
        if (tcp != null) {
            tcp.close();
        } else {
            udp.close();
        }
    }
}
