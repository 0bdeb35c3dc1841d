package io.nftpolicy.backend.nflog;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * nfnetlink_log's messages (linux/netfilter/nfnetlink_log.h): the configuration a reader sends to bind a group, and
 * the packets it receives. Netlink headers and attribute headers are in the host's byte order, the nfnetlink header's
 * group and every attribute value in network order.
 */
final class NflogMessages {
    private static final int NFNL_SUBSYS_ULOG = 4;
    private static final int NFULNL_MSG_PACKET = 0;
    private static final int NFULNL_MSG_CONFIG = 1;
    static final int NLMSG_ERROR = 2;
    private static final int NLM_F_REQUEST = 1;
    private static final int NLM_F_ACK = 4;
    private static final int HEADER = 16;
    private static final int NFGENMSG = 4;

    private static final int NFULA_CFG_CMD = 1;
    private static final int NFULA_CFG_MODE = 2;
    private static final int NFULA_CFG_QTHRESH = 5;
    private static final int NFULNL_CFG_CMD_BIND = 1;
    private static final int NFULNL_COPY_PACKET = 2;

    private static final int NFULA_TIMESTAMP = 3;
    private static final int NFULA_PAYLOAD = 9;
    private static final int NFULA_PREFIX = 10;
    /** The attribute type without NLA_F_NESTED and NLA_F_NET_BYTEORDER. */
    private static final int NLA_TYPE_MASK = 0x3fff;

    /** What one netlink message said: a logged packet, or the kernel's answer to a request. */
    sealed interface Message {}

    record Packet(NflogPacket packet) implements Message {}

    /** @param error 0 for an acknowledgement, else the errno the kernel refused the request with */
    record Answer(int sequence, int error) implements Message {}

    private NflogMessages() {}

    /** Binds this socket to {@code group}; the kernel refuses (EBUSY) when another socket holds it. */
    static byte[] bind(int group, int sequence) {
        return config(group, sequence, attribute(NFULA_CFG_CMD, new byte[] {NFULNL_CFG_CMD_BIND}));
    }

    /**
     * Copy each packet's first {@code copyRange} bytes, and send each packet at once: by default nfnetlink_log
     * gathers up to 100 packets or a second before it sends them.
     */
    static byte[] mode(int group, int sequence, int copyRange) {
        ByteBuffer mode = ByteBuffer.allocate(6).order(ByteOrder.BIG_ENDIAN);
        mode.putInt(copyRange).put((byte) NFULNL_COPY_PACKET).put((byte) 0);
        ByteBuffer threshold = ByteBuffer.allocate(4).order(ByteOrder.BIG_ENDIAN).putInt(1);
        ByteArrayOutputStream attributes = new ByteArrayOutputStream();
        attributes.writeBytes(attribute(NFULA_CFG_MODE, mode.array()));
        attributes.writeBytes(attribute(NFULA_CFG_QTHRESH, threshold.array()));
        return config(group, sequence, attributes.toByteArray());
    }

    private static byte[] config(int group, int sequence, byte[] attributes) {
        int length = HEADER + NFGENMSG + attributes.length;
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        b.putInt(length).putShort((short) (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_CONFIG))
                .putShort((short) (NLM_F_REQUEST | NLM_F_ACK)).putInt(sequence).putInt(0);
        b.put((byte) 0).put((byte) 0).order(ByteOrder.BIG_ENDIAN).putShort((short) group);
        b.put(attributes);
        return b.array();
    }

    private static byte[] attribute(int type, byte[] value) {
        int length = 4 + value.length;
        ByteBuffer b = ByteBuffer.allocate(align(length)).order(ByteOrder.nativeOrder());
        b.putShort((short) length).putShort((short) type).put(value);
        return b.array();
    }

    private static int align(int length) {
        return (length + 3) & ~3;
    }

    /**
     * The messages of one datagram, in order; messages of other kinds are left out.
     *
     * @throws IllegalArgumentException when a length runs past the datagram
     */
    static List<Message> decode(byte[] datagram, int length) {
        List<Message> out = new ArrayList<>();
        ByteBuffer b = ByteBuffer.wrap(datagram, 0, length).order(ByteOrder.nativeOrder());
        int at = 0;
        while (at + HEADER <= length) {
            int messageLength = b.getInt(at);
            int type = b.getShort(at + 4) & 0xffff;
            int sequence = b.getInt(at + 8);
            if (messageLength < HEADER || at + messageLength > length) {
                throw new IllegalArgumentException("netlink message of " + messageLength + " bytes at offset " + at
                        + " runs past the " + length + " bytes received");
            }
            if (type == NLMSG_ERROR && messageLength >= HEADER + 4) {
                out.add(new Answer(sequence, -b.getInt(at + HEADER)));
            } else if (type == (NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET) && messageLength >= HEADER + NFGENMSG) {
                int group = Short.toUnsignedInt(b.order(ByteOrder.BIG_ENDIAN).getShort(at + HEADER + 2));
                b.order(ByteOrder.nativeOrder());
                out.add(new Packet(packet(b, group, at + HEADER + NFGENMSG, at + messageLength)));
            }
            at += align(messageLength);
        }
        return out;
    }

    private static NflogPacket packet(ByteBuffer b, int group, int from, int to) {
        Optional<Instant> time = Optional.empty();
        String prefix = "";
        byte[] payload = new byte[0];
        int at = from;
        while (at + 4 <= to) {
            int length = b.getShort(at) & 0xffff;
            int type = b.getShort(at + 2) & NLA_TYPE_MASK;
            if (length < 4 || at + length > to) {
                throw new IllegalArgumentException("netlink attribute of " + length + " bytes at offset " + at
                        + " runs past its message");
            }
            int value = at + 4;
            int size = length - 4;
            if (type == NFULA_TIMESTAMP && size >= 16) {
                ByteBuffer be = b.duplicate().order(ByteOrder.BIG_ENDIAN);
                long seconds = be.getLong(value);
                long micros = be.getLong(value + 8);
                time = Optional.of(Instant.ofEpochSecond(seconds, micros * 1000));
            } else if (type == NFULA_PREFIX) {
                int end = value;
                while (end < value + size && b.get(end) != 0) {
                    end++;
                }
                byte[] text = new byte[end - value];
                b.get(value, text);
                prefix = new String(text, StandardCharsets.UTF_8);
            } else if (type == NFULA_PAYLOAD) {
                payload = new byte[size];
                b.get(value, payload);
            }
            at += align(length);
        }
        return new NflogPacket(group, time, prefix, payload);
    }
}
