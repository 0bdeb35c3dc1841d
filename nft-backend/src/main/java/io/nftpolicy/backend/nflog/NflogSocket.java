package io.nftpolicy.backend.nflog;

import io.nftpolicy.backend.netns.NetnsThread;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A netlink socket bound to one NFLOG group of one network namespace. The socket belongs for good to the namespace
 * it was created in, so it is created on a {@link NetnsThread} of that namespace and read from any thread after.
 * One reader at a time: a thread that receives while another closes the socket is the caller's error.
 */
public final class NflogSocket implements AutoCloseable {
    /** Enough of each packet for its IPv4 or IPv6 header (with a few extension headers) and its ports. */
    private static final int COPY_RANGE = 128;
    private static final int RECEIVE_BUFFER = 1 << 20;

    private final int fd;
    private final int group;
    private final String where;
    private final byte[] buffer = new byte[64 * 1024];
    private long lost;
    private int sequence;

    private NflogSocket(int fd, int group, String where) {
        this.fd = fd;
        this.group = group;
        this.where = where;
    }

    /**
     * Binds {@code group} in the namespace {@code thread} lives in ({@code where} names it in errors).
     *
     * @throws IOException the socket cannot be made, or the kernel refuses the group (another reader holds it)
     */
    public static NflogSocket open(NetnsThread thread, int group, String where) throws IOException {
        int fd;
        try {
            fd = thread.call(() -> NetlinkCalls.calls().socket(NetlinkCalls.AF_NETLINK,
                    NetlinkCalls.SOCK_RAW | NetlinkCalls.SOCK_CLOEXEC, NetlinkCalls.NETLINK_NETFILTER));
        } catch (Exception e) {
            throw new IOException("cannot open a netfilter netlink socket in " + where + ": " + e.getMessage(), e);
        }
        if (fd < 0) {
            throw new IOException("cannot open a netfilter netlink socket in " + where + ": " + error());
        }
        NflogSocket socket = new NflogSocket(fd, group, where);
        try {
            socket.configure();
        } catch (IOException | RuntimeException e) {
            socket.close();
            throw e;
        }
        return socket;
    }

    private void configure() throws IOException {
        NetlinkCalls.Calls c = NetlinkCalls.calls();
        if (c.bind(fd, address(), 12) < 0) {
            throw new IOException("cannot bind the netlink socket in " + where + ": " + error());
        }
        setInt(NetlinkCalls.SO_RCVBUF, RECEIVE_BUFFER);
        request(NflogMessages.bind(group, ++sequence), "bind NFLOG group " + group);
        request(NflogMessages.mode(group, ++sequence, COPY_RANGE), "configure NFLOG group " + group);
    }

    /** Sends a request and waits for the kernel's acknowledgement. */
    private void request(byte[] message, String what) throws IOException {
        int expected = sequence;
        if (NetlinkCalls.calls().sendto(fd, message, message.length, 0, address(), 12) < 0) {
            throw new IOException("cannot " + what + " in " + where + ": " + error());
        }
        setTimeout(Duration.ofSeconds(5));
        while (true) {
            long n = NetlinkCalls.calls().recv(fd, buffer, buffer.length, 0);
            if (n < 0) {
                throw new IOException("no answer to the request to " + what + " in " + where + ": " + error());
            }
            for (NflogMessages.Message m : NflogMessages.decode(buffer, (int) n)) {
                if (m instanceof NflogMessages.Answer a && a.sequence() == expected) {
                    if (a.error() != 0) {
                        throw new IOException("the kernel refuses to " + what + " in " + where + ": "
                                + NetlinkCalls.calls().strerror(a.error())
                                + (a.error() == 16 ? " (another reader holds the group: the agent?)" : ""));
                    }
                    return;
                }
            }
        }
    }

    /**
     * The packets that arrive within {@code timeout}: empty when none did. Packets the kernel could not queue
     * because this socket's buffer was full are counted in {@link #lost}.
     */
    public List<NflogPacket> receive(Duration timeout) throws IOException {
        setTimeout(timeout);
        long n = NetlinkCalls.calls().recv(fd, buffer, buffer.length, 0);
        if (n < 0) {
            int errno = NetlinkCalls.lastErrno();
            if (errno == NetlinkCalls.EAGAIN || errno == NetlinkCalls.EINTR) {
                return List.of();
            }
            if (errno == NetlinkCalls.ENOBUFS) {
                lost++;
                return List.of();
            }
            throw new IOException("cannot read NFLOG group " + group + " in " + where + ": "
                    + NetlinkCalls.calls().strerror(errno));
        }
        List<NflogPacket> packets = new ArrayList<>();
        for (NflogMessages.Message m : NflogMessages.decode(buffer, (int) n)) {
            if (m instanceof NflogMessages.Packet p) {
                packets.add(p.packet());
            }
        }
        return packets;
    }

    /** How many times the kernel dropped log messages because the reader was too slow (ENOBUFS). */
    public long lost() {
        return lost;
    }

    public int group() {
        return group;
    }

    private void setTimeout(Duration timeout) throws IOException {
        ByteBuffer tv = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        long micros = Math.max(1, timeout.toNanos() / 1000);
        tv.putLong(micros / 1_000_000).putLong(micros % 1_000_000);
        if (NetlinkCalls.calls().setsockopt(fd, NetlinkCalls.SOL_SOCKET, NetlinkCalls.SO_RCVTIMEO, tv.array(), 16) < 0) {
            throw new IOException("cannot set the netlink socket's timeout: " + error());
        }
    }

    private void setInt(int option, int value) throws IOException {
        byte[] v = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
        if (NetlinkCalls.calls().setsockopt(fd, NetlinkCalls.SOL_SOCKET, option, v, 4) < 0) {
            throw new IOException("cannot size the netlink socket's buffer: " + error());
        }
    }

    /** sockaddr_nl of the kernel (port 0, no multicast groups). */
    private static byte[] address() {
        return ByteBuffer.allocate(12).order(ByteOrder.nativeOrder()).putShort((short) NetlinkCalls.AF_NETLINK).array();
    }

    private static String error() {
        return NetlinkCalls.calls().strerror(NetlinkCalls.lastErrno());
    }

    /** Closing unbinds the group: the kernel frees it with the socket. */
    @Override
    public void close() {
        NetlinkCalls.calls().close(fd);
    }
}
