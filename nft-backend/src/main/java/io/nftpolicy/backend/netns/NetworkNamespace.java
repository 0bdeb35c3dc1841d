package io.nftpolicy.backend.netns;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A named network namespace of one's own ({@code ip netns add PREFIX-PID-N}: no other test, benchmark or concurrent
 * run uses the name), deleted with its libnftables context ({@link #nftables}) on {@link #close()}. {@link #nft}
 * runs the nft command line inside it: the independent witness of what the binding did. Needs root.
 */
public final class NetworkNamespace implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final String name;
    private Nftables context;

    private NetworkNamespace(String name) {
        this.name = name;
    }

    /** Creates {@code <prefix>-<pid>-<n>}; fails with {@code ip}'s own words (e.g. not root). */
    public static NetworkNamespace create(String prefix) {
        String name = prefix + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        exec(List.of("ip", "netns", "add", name), "");
        return new NetworkNamespace(name);
    }

    public String name() {
        return name;
    }

    /** The libnftables context of this namespace, opened on first use and closed with the namespace. */
    public synchronized Nftables nftables() throws NftablesException {
        if (context == null) {
            context = Nftables.openInNamespace(name);
        }
        return context;
    }

    /** {@code nft ARGS} inside the namespace; its standard output. */
    public String nft(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", name, "nft"));
        argv.addAll(List.of(args));
        return exec(argv, "");
    }

    /** {@code nft -f -} inside the namespace, with this script. */
    public void load(String script) {
        exec(List.of("ip", "netns", "exec", name, "nft", "-f", "-"), script);
    }

    /** {@code nft -f FILE} inside the namespace. */
    public void loadFile(String file) {
        exec(List.of("ip", "netns", "exec", name, "nft", "-f", file), "");
    }

    /** {@code nft list tables} in the namespace this process itself is in. */
    public static String rootTables() {
        return exec(List.of("nft", "list", "tables"), "");
    }

    @Override
    public synchronized void close() {
        try {
            if (context != null) {
                context.close();
            }
        } finally {
            exec(List.of("ip", "netns", "delete", name), "");
        }
    }

    @Override
    public String toString() {
        return name;
    }

    private static String exec(List<String> argv, String stdin) {
        try {
            Process p = new ProcessBuilder(argv).start();
            Thread writer = new Thread(() -> {
                try (OutputStream in = p.getOutputStream()) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                } catch (IOException e) {
                    // the tool exited early; its status says why
                }
            });
            writer.start();
            var err = p.getErrorStream();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String errors = new String(err.readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", argv) + " timed out");
            }
            writer.join();
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " failed (exit " + p.exitValue() + "): "
                        + errors.strip());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(String.join(" ", argv) + " interrupted", e);
        }
    }
}
