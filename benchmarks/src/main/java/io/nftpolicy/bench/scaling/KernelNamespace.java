package io.nftpolicy.bench.scaling;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A network namespace of this run's own ({@code ip netns add nftb-scale-PID-N}), deleted on close: the kernel the
 * scaling run applies rulesets to, so that the host's and other runs' nftables are never touched.
 */
final class KernelNamespace implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private final String name;

    private KernelNamespace(String name) {
        this.name = name;
    }

    static KernelNamespace create() throws IOException {
        String name = "nftb-scale-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        ip("netns", "add", name);
        return new KernelNamespace(name);
    }

    String name() {
        return name;
    }

    @Override
    public void close() throws IOException {
        ip("netns", "delete", name);
    }

    private static void ip(String... args) throws IOException {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("ip " + String.join(" ", args) + ": timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("ip " + String.join(" ", args) + ": interrupted", e);
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.exitValue() != 0) {
            throw new IOException("ip " + String.join(" ", args) + " failed (exit " + p.exitValue() + "): " + output);
        }
    }
}
