package io.nftpolicy.bench.established;

import io.nftpolicy.lab.Lab;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.SocketChannel;

/** A TCP connection and a UDP flow from a lab pod, each sending a byte every millisecond until closed. */
final class Streams implements AutoCloseable {
    private final Socket tcp;
    private final DatagramSocket udp;
    private final EstablishedBenchmark.Servers servers;
    private final String clientAddress;
    private volatile boolean closed;
    private volatile long resetNanos;

    private Streams(Socket tcp, DatagramSocket udp, EstablishedBenchmark.Servers servers, String clientAddress) {
        this.tcp = tcp;
        this.udp = udp;
        this.servers = servers;
        this.clientAddress = clientAddress;
    }

    static Streams open(Lab lab, EstablishedBenchmark.Servers servers, String from, String address, int tcpPort,
                        int udpPort) throws Exception {
        Socket tcp = lab.callIn(from, () -> SocketChannel.open().socket());
        tcp.connect(new InetSocketAddress(address, tcpPort), 1000);
        tcp.setTcpNoDelay(true);
        DatagramSocket udp = lab.callIn(from, DatagramSocket::new);
        udp.connect(new InetSocketAddress(address, udpPort));
        String client = lab.address(from, io.nftpolicy.net.IpFamily.IPV4).orElseThrow().getHostAddress();
        Streams streams = new Streams(tcp, udp, servers, client);
        streams.daemon(streams::sendTcp);
        streams.daemon(streams::readTcp);
        streams.daemon(streams::sendUdp);
        return streams;
    }

    /** When the TCP client saw its connection reset; 0 if it did not. */
    long resetNanos() {
        return resetNanos;
    }

    void awaitTraffic() throws InterruptedException {
        long start = System.nanoTime();
        while (servers.lastArrival(clientAddress) < start && System.nanoTime() - start < 5_000_000_000L) {
            Thread.sleep(5);
        }
        Thread.sleep(50);
    }

    private void sendTcp() {
        try {
            while (!closed) {
                tcp.getOutputStream().write(1);
                Thread.sleep(1);
            }
        } catch (IOException | InterruptedException e) {
            noteReset();
        }
    }

    private void readTcp() {
        try {
            while (!closed && tcp.getInputStream().read() >= 0) {
                // echoes
            }
        } catch (IOException e) {
            noteReset();
        }
    }

    private synchronized void noteReset() {
        if (!closed && resetNanos == 0) {
            resetNanos = System.nanoTime();
        }
    }

    private void sendUdp() {
        DatagramPacket ping = new DatagramPacket(new byte[1], 1);
        while (!closed) {
            try {
                udp.send(ping);
                Thread.sleep(1);
            } catch (IOException | InterruptedException e) {
                // an ICMP error fails one send: go on
            }
        }
    }

    private void daemon(Runnable task) {
        Thread thread = new Thread(task, "stream");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() {
        closed = true;
        try {
            tcp.close();
        } catch (IOException e) {
            // closing anyway
        }
        udp.close();
    }
}
