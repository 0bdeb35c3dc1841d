package io.nftpolicy.lab;

import io.nftpolicy.backend.netns.NetnsThread;
import io.nftpolicy.cluster.Protocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Every pod's TCP and UDP servers, on one selector thread.
 *
 * <p>Each listening socket is created by the pod's {@link NetnsThread}, so it lives in the pod's namespace; from
 * then on any thread may serve it. One thread for the whole lab keeps a large lab cheap and needs no process per
 * pod. Each connection or datagram is answered with the pod's name and a newline, which is how a probe tells that
 * it reached the pod it aimed at.
 */
final class PodServer implements AutoCloseable {
    /** One socket to open: a pod's address and endpoint, in the pod's namespace. */
    record Binding(NetnsThread netns, String podName, InetSocketAddress address, Protocol protocol) {}

    private final Selector selector;
    private final Thread thread;
    private volatile boolean running = true;

    private PodServer(Selector selector, String name) {
        this.selector = selector;
        this.thread = new Thread(this::serve, name);
        this.thread.setDaemon(true);
    }

    /**
     * Opens all bindings (in parallel across namespaces) and starts serving.
     *
     * @throws LabException when a socket cannot be opened; nothing stays open then
     */
    static PodServer start(String name, List<Binding> bindings) throws LabException {
        Selector selector;
        try {
            selector = Selector.open();
        } catch (IOException e) {
            throw new LabException("cannot open a selector: " + e.getMessage(), e);
        }
        PodServer server = new PodServer(selector, name);
        Map<Binding, CompletableFuture<SelectableChannel>> opened = new LinkedHashMap<>();
        for (Binding binding : bindings) {
            opened.put(binding, binding.netns().submit(() -> open(binding)));
        }
        List<SelectableChannel> channels = new ArrayList<>();
        LabException failure = null;
        for (Map.Entry<Binding, CompletableFuture<SelectableChannel>> entry : opened.entrySet()) {
            Binding binding = entry.getKey();
            try {
                SelectableChannel channel = entry.getValue().join();
                channels.add(channel);
                ByteBuffer reply = ByteBuffer.wrap((binding.podName() + "\n").getBytes(StandardCharsets.UTF_8));
                channel.register(selector,
                        channel instanceof ServerSocketChannel ? SelectionKey.OP_ACCEPT : SelectionKey.OP_READ,
                        reply);
            } catch (Exception e) {
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                if (failure == null) {
                    failure = new LabException("pod " + binding.podName() + ": cannot serve "
                            + binding.protocol() + " on " + binding.address() + ": " + cause, cause);
                }
            }
        }
        if (failure != null) {
            channels.forEach(PodServer::closeQuietly);
            closeQuietly(selector);
            throw failure;
        }
        server.thread.start();
        return server;
    }

    private static SelectableChannel open(Binding binding) throws IOException {
        StandardProtocolFamily family = binding.address().getAddress() instanceof java.net.Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        if (binding.protocol() == Protocol.TCP) {
            ServerSocketChannel channel = ServerSocketChannel.open(family);
            try {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                channel.bind(binding.address(), 1024);
                channel.configureBlocking(false);
                return channel;
            } catch (IOException e) {
                channel.close();
                throw e;
            }
        }
        DatagramChannel channel = DatagramChannel.open(family);
        try {
            channel.bind(binding.address());
            channel.configureBlocking(false);
            return channel;
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    private void serve() {
        ByteBuffer scratch = ByteBuffer.allocate(2048);
        while (running) {
            try {
                selector.select();
            } catch (IOException e) {
                return;
            }
            for (SelectionKey key : selector.selectedKeys()) {
                try {
                    handle(key, scratch);
                } catch (IOException | CancelledKeyException e) {
                    // One client's trouble (a reset, an unreachable sender) must not stop the others' service.
                    if (key.channel() instanceof SocketChannel) {
                        closeQuietly(key.channel());
                    }
                }
            }
            selector.selectedKeys().clear();
        }
    }

    private void handle(SelectionKey key, ByteBuffer scratch) throws IOException {
        ByteBuffer reply = (ByteBuffer) key.attachment();
        if (key.isAcceptable()) {
            SocketChannel connection;
            while ((connection = ((ServerSocketChannel) key.channel()).accept()) != null) {
                connection.configureBlocking(false);
                connection.register(selector, SelectionKey.OP_READ, reply);
            }
        } else if (key.channel() instanceof SocketChannel connection) {
            // Answer once the probe's byte arrived, then close: closing with its byte still unread would reset
            // the connection and could destroy the answer before the probe reads it.
            scratch.clear();
            int read = connection.read(scratch);
            if (read == 0) {
                return;
            }
            if (read > 0) {
                connection.write(reply.duplicate()); // a few bytes: fits the empty send buffer at once
            }
            connection.close();
        } else {
            DatagramChannel channel = (DatagramChannel) key.channel();
            SocketAddress sender;
            while ((sender = receive(channel, scratch)) != null) {
                channel.send(reply.duplicate(), sender);
            }
        }
    }

    private static SocketAddress receive(DatagramChannel channel, ByteBuffer scratch) throws IOException {
        scratch.clear();
        return channel.receive(scratch);
    }

    /** Stops the thread and closes every socket it served, so none keeps a namespace alive. */
    @Override
    public void close() {
        running = false;
        selector.wakeup();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            for (SelectionKey key : selector.keys()) {
                closeQuietly(key.channel());
            }
        } catch (java.nio.channels.ClosedSelectorException e) {
            // already closed
        }
        closeQuietly(selector);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // closing is best effort: the namespace goes away next
        }
    }
}
