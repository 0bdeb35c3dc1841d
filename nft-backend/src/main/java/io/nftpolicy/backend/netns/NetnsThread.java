package io.nftpolicy.backend.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A thread that lives inside one named network namespace for its whole life.
 *
 * <p>setns(2) changes only the calling thread, and a socket belongs for good to the namespace of the thread that
 * created it. So creating sockets (and reading per-namespace files such as {@code /proc/sys/net}) is delegated to
 * a thread that entered the namespace once and never leaves; everything else (connect, select, read) can then
 * happen on any thread. A thread of its own, rather than a pooled thread that enters and leaves, means no code path
 * can ever leave a JVM thread stranded in the wrong namespace.
 *
 * <p>Public for the libnftables binding ({@code io.nftpolicy.backend.libnftables.Nftables}), whose context must
 * likewise live on one thread in one namespace; {@link #inCurrentNamespace} gives it the same task thread without
 * moving it.
 */
public final class NetnsThread implements AutoCloseable {
    private static final Path NETNS_DIR = Path.of("/var/run/netns");

    private final String netns; // null: stays in the namespace the JVM was in when it started
    private final boolean fresh; // enters a new, unnamed namespace of its own
    private final Thread thread;
    private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> entered = new CompletableFuture<>();
    private volatile boolean stopping;

    private NetnsThread(String netns, String threadName) {
        this(netns, false, threadName);
    }

    private NetnsThread(String netns, boolean fresh, String threadName) {
        this.netns = netns;
        this.fresh = fresh;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    /** Starts the thread and waits until it is inside {@code netns} (created with {@code ip netns add}). */
    public static NetnsThread enter(String netns) throws NetnsException {
        return new NetnsThread(netns, "netns-" + netns).started("cannot enter network namespace " + netns);
    }

    /**
     * Starts a task thread that stays in the calling process's namespace: the same one-thread discipline for code
     * that only needs a thread of its own.
     */
    public static NetnsThread inCurrentNamespace(String threadName) {
        NetnsThread t = new NetnsThread(null, threadName);
        t.thread.start();
        t.entered.join(); // completes at once: there is nothing to enter
        return t;
    }

    /**
     * Starts a thread in a new, empty network namespace that has no name and belongs to nothing else: it goes away
     * with the thread and whatever sockets the thread opened. A scratch space for trying things on a kernel with
     * no effect on anything (needs CAP_SYS_ADMIN).
     */
    public static NetnsThread inFreshNamespace(String threadName) throws NetnsException {
        return new NetnsThread(null, true, threadName).started("cannot create a network namespace");
    }

    /** Starts the thread and waits until it is in its namespace; {@code failure} begins the error's message. */
    private NetnsThread started(String failure) throws NetnsException {
        thread.start();
        try {
            entered.get(10, TimeUnit.SECONDS);
            return this;
        } catch (ExecutionException e) {
            close();
            throw new NetnsException(failure + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException | InterruptedException e) {
            close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new NetnsException(failure + ": " + e, e);
        }
    }

    /** The namespace's name, or null for a thread made by {@link #inCurrentNamespace} or {@link #inFreshNamespace}. */
    public String netns() {
        return netns;
    }

    /** Runs {@code task} inside the namespace and returns its result; exceptions come back unchanged. */
    public <T> T call(Callable<T> task) throws Exception {
        try {
            return submit(task).get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            throw (Error) cause;
        }
    }

    /** Queues {@code task} to run inside the namespace, so that several namespaces can work at once. */
    public <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        synchronized (tasks) {
            if (stopping) {
                throw new IllegalStateException(netns != null ? "namespace thread for " + netns + " is closed"
                        : "thread " + thread.getName() + " is closed");
            }
            tasks.add(() -> {
                try {
                    result.complete(task.call());
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
        }
        return result;
    }

    private void run() {
        try {
            if (netns != null) {
                enterNamespace();
            } else if (fresh && LibC.calls().unshare(LibC.CLONE_NEWNET) != 0) {
                throw new IOException("unshare(CLONE_NEWNET): " + LibC.lastError());
            }
            entered.complete(null);
        } catch (Throwable e) {
            entered.completeExceptionally(e);
            return;
        }
        while (!stopping) {
            Runnable task;
            try {
                task = tasks.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                continue;
            }
            if (task != null) {
                task.run(); // never throws: call() wraps every task
            }
        }
        // Run what was queued before close(): nothing can be queued after it, so no caller is left waiting.
        Runnable late;
        while ((late = tasks.poll()) != null) {
            late.run();
        }
    }

    private void enterNamespace() throws IOException {
        Path file = NETNS_DIR.resolve(netns);
        LibC.Calls libc = LibC.calls();
        int fd = libc.open(file.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        if (fd < 0) {
            throw new IOException("open " + file + ": " + LibC.lastError());
        }
        try {
            if (libc.setns(fd, LibC.CLONE_NEWNET) != 0) {
                throw new IOException("setns " + file + ": " + LibC.lastError());
            }
        } finally {
            libc.close(fd);
        }
        // Prove it rather than trust it: the thread's own namespace link must now name the file's inode.
        String link = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
        Object inode = Files.getAttribute(file, "unix:ino");
        if (!link.equals("net:[" + inode + "]")) {
            throw new IOException("setns " + file + " left the thread in " + link + ", expected inode " + inode);
        }
    }

    /** Stops the thread and waits for it, so that it no longer pins the namespace when it is deleted. */
    @Override
    public void close() {
        synchronized (tasks) {
            stopping = true;
        }
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
