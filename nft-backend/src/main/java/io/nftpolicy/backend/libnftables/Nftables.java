package io.nftpolicy.backend.libnftables;

import io.nftpolicy.backend.netns.NetnsException;
import io.nftpolicy.backend.netns.LibC;
import io.nftpolicy.backend.netns.NetnsThread;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import jnr.ffi.Pointer;

/**
 * One libnftables context, the way nftpolicy talks to the kernel's nftables: a buffer of nft commands is one
 * transaction, committed whole or not at all.
 *
 * <p>libnftables documents no thread safety and keeps process-global state, so the context lives on one thread of
 * its own, created with it: that thread creates the context, runs every command and frees it. Callers on any
 * thread hand their commands over and wait for the result; concurrent callers are served one after the other.
 * Across contexts (several namespaces in one JVM), calls into the library are serialised as well.
 *
 * <p>Commands go to libnftables as a buffer ({@code nft_run_cmd_from_buffer}). When commands of several lines
 * fail, the error text comes from a dry-run replay of them from an in-memory file, which names the failing line
 * (see {@link #replayFromFile}).
 *
 * <p>Opening costs a thread start and a context; keep one open for the life of the agent. Close it when done.
 */
public final class Nftables implements AutoCloseable {
    /** libnftables keeps process-global state: one native call at a time, across every context of this JVM. */
    private static final ReentrantLock LIBRARY = new ReentrantLock();

    private static final Set<String> FAMILIES = Set.of("ip", "ip6", "inet", "arp", "bridge", "netdev");
    /** What nft accepts as an unquoted table name (NFT_NAME_MAXLEN 256, NUL included). */
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_./\\-]{0,254}");
    private static final String COMMAND_FILE_NAME = "commands";

    private final String library;
    private final LibNftables.Calls lib;
    private final NetnsThread worker;
    private final String where;
    private final AtomicBoolean closed = new AtomicBoolean();

    // Confined to the worker thread.
    private Pointer ctx;
    private int outputFlags;
    private boolean commandFileUnavailable;
    private int memfd = -1;
    private FileChannel commandFile;
    private String commandPath;
    private byte[] commandPathBytes;

    private Nftables(String library, LibNftables.Calls lib, NetnsThread worker, String where) {
        this.library = library;
        this.lib = lib;
        this.worker = worker;
        this.where = where;
    }

    /**
     * A context acting on the network namespace the calling process is in.
     *
     * @throws NftablesUnavailableException libnftables is not installed, or too old
     * @throws NftablesException            the context could not be created
     */
    public static Nftables open() throws NftablesException {
        return open(LibNftables.NAME, null);
    }

    /**
     * A context acting on the named network namespace ({@code /var/run/netns/NAME}, as {@code ip netns add}
     * creates it): its thread enters the namespace before creating the context, so every command, listing
     * included, sees that namespace's nftables only.
     *
     * @throws NftablesUnavailableException libnftables is not installed, or too old
     * @throws NftablesException            the namespace cannot be entered, or the context not created
     */
    public static Nftables openInNamespace(String netnsName) throws NftablesException {
        if (netnsName == null || !netnsName.matches("[A-Za-z0-9_.\\-]+") || netnsName.startsWith(".")) {
            throw new IllegalArgumentException("not a network namespace name: " + netnsName);
        }
        return open(LibNftables.NAME, netnsName);
    }

    /**
     * A context in a new, empty network namespace of its own, which has no name and disappears when the context is
     * closed: a kernel to try commands on with no effect on any other (how the backend learns how the kernel lists
     * a rule it writes). Needs CAP_SYS_ADMIN.
     *
     * @throws NftablesUnavailableException libnftables is not installed, or too old
     * @throws NftablesException            the namespace or the context cannot be created
     */
    public static Nftables openScratch() throws NftablesException {
        return open(LibNftables.NAME, null, true);
    }

    /** @param library the library's name for the loader; tests pass a bogus one */
    static Nftables open(String library, String netnsName) throws NftablesException {
        return open(library, netnsName, false);
    }

    private static Nftables open(String library, String netnsName, boolean scratch) throws NftablesException {
        LibNftables.Calls lib = LibNftables.load(library);
        NetnsThread worker;
        String where;
        if (scratch) {
            try {
                worker = NetnsThread.inFreshNamespace("nftables-scratch");
            } catch (NetnsException e) {
                throw new NftablesException("cannot open libnftables in a scratch network namespace: "
                        + e.getMessage(), e);
            }
            where = "a scratch network namespace";
        } else if (netnsName == null) {
            worker = NetnsThread.inCurrentNamespace("nftables");
            where = "the current network namespace";
        } else {
            try {
                worker = NetnsThread.enter(netnsName);
            } catch (NetnsException e) {
                throw new NftablesException("cannot open libnftables in network namespace " + netnsName + ": "
                        + e.getMessage(), e);
            }
            where = "network namespace " + netnsName;
        }
        Nftables nft = new Nftables(library, lib, worker, where);
        try {
            nft.onWorker(nft::init);
        } catch (NftablesException | RuntimeException | Error e) {
            worker.close();
            throw e;
        }
        return nft;
    }

    private Void init() throws NftablesException {
        if (worker.netns() != null) {
            Thread.currentThread().setName("nftables-" + worker.netns());
        }
        LIBRARY.lock();
        try {
            Pointer created = lib.nft_ctx_new(LibNftables.NFT_CTX_DEFAULT);
            if (created == null) {
                throw new NftablesException("libnftables could not create a context (nft_ctx_new) in " + where);
            }
            if (lib.nft_ctx_buffer_output(created) != 0 || lib.nft_ctx_buffer_error(created) != 0) {
                lib.nft_ctx_free(created);
                throw new NftablesException("libnftables could not buffer its output in " + where);
            }
            lib.nft_ctx_output_set_flags(created, 0);
            ctx = created;
            outputFlags = 0;
            return null;
        } finally {
            LIBRARY.unlock();
        }
    }

    /**
     * Runs {@code commands} (nft syntax, or JSON) as one transaction.
     *
     * @return libnftables' output (empty for most changes; the listing for {@code list} commands)
     * @throws NftablesException nothing was committed; the exception carries libnftables' error text
     */
    public String run(String commands) throws NftablesException {
        return run(commands, Set.of());
    }

    /** As {@link #run(String)}, with these output flags (for this call only). */
    public String run(String commands, Set<OutputFlag> flags) throws NftablesException {
        byte[] bytes = commandBytes(commands);
        int bits = OutputFlag.bits(flags);
        boolean multiLine = commands.strip().indexOf('\n') >= 0;
        return onWorker(() -> execute(bytes, multiLine, bits, false));
    }

    /** As {@link #run(String)}, with JSON output: {@code runJson("list table inet nftpolicy")}. */
    public String runJson(String commands) throws NftablesException {
        return run(commands, EnumSet.of(OutputFlag.JSON));
    }

    /**
     * Dry run: libnftables parses and evaluates the commands and the kernel checks the transaction, which is then
     * aborted. Nothing is left behind either way.
     *
     * @throws NftablesException the transaction would fail; same error text as {@link #run(String)} would give
     */
    public void check(String commands) throws NftablesException {
        byte[] bytes = commandBytes(commands);
        boolean multiLine = commands.strip().indexOf('\n') >= 0;
        onWorker(() -> execute(bytes, multiLine, 0, true));
    }

    /** The table as JSON ({@code {"nftables":[...]}}), or empty when there is no such table. */
    public Optional<String> listTableJson(String family, String table) throws NftablesException {
        return listTable(family, table, EnumSet.of(OutputFlag.JSON));
    }

    /**
     * {@code list table FAMILY TABLE} with these output flags, or empty when there is no such table. Any other
     * error is thrown.
     */
    public Optional<String> listTable(String family, String table, Set<OutputFlag> flags) throws NftablesException {
        if (!FAMILIES.contains(family)) {
            throw new IllegalArgumentException("not an nftables family: " + family + " (one of " + FAMILIES + ")");
        }
        if (table == null || !NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not a table name: " + table);
        }
        try {
            return Optional.of(run("list table " + family + " " + table, flags));
        } catch (NftablesException e) {
            if (e.isNoSuchObject()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /**
     * The network namespace this context acts on, as the kernel names it ({@code net:[4026531840]}): the same
     * for every context on that namespace, whatever name or path it was opened by.
     */
    public String namespaceId() throws NftablesException {
        return onWorker(() -> {
            try {
                return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            } catch (IOException e) {
                throw new NftablesException("cannot tell the network namespace of " + where + ": " + e, e);
            }
        });
    }

    /** Frees the context and stops its thread. Idempotent; later calls throw {@link IllegalStateException}. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            worker.submit(this::free).join();
        } catch (CompletionException | IllegalStateException e) {
            // The thread is gone already: nothing left to free on it.
        } finally {
            worker.close();
        }
    }

    @Override
    public String toString() {
        return "Nftables[" + where + (closed.get() ? ", closed" : "") + "]";
    }

    private Void free() {
        LIBRARY.lock();
        try {
            if (ctx != null) {
                lib.nft_ctx_free(ctx);
                ctx = null;
            }
        } finally {
            LIBRARY.unlock();
        }
        closeCommandFile();
        return null;
    }

    // ---- on the worker thread ----

    private String execute(byte[] commands, boolean multiLine, int flags, boolean dryRun) throws NftablesException {
        if (ctx == null) {
            throw new IllegalStateException(this + " is closed");
        }
        LIBRARY.lock();
        try {
            if (flags != outputFlags) {
                lib.nft_ctx_output_set_flags(ctx, flags);
                outputFlags = flags;
            }
            int rc = runBuffer(commands, dryRun);
            // Reading both buffers empties them, so that the next command starts clean.
            String output = LibNftables.string(lib.nft_ctx_get_output_buffer(ctx));
            String errors = LibNftables.string(lib.nft_ctx_get_error_buffer(ctx));
            if (rc == 0) {
                return output;
            }
            if (!multiLine) {
                throw NftablesException.fromErrorText(errors, rc, true);
            }
            Optional<String> located = replayFromFile(commands, errors);
            throw located.isPresent() ? NftablesException.fromErrorText(located.get(), rc, true)
                    : NftablesException.fromErrorText(errors, rc, false);
        } finally {
            LIBRARY.unlock();
        }
    }

    private int runBuffer(byte[] commands, boolean dryRun) {
        if (!dryRun) {
            return lib.nft_run_cmd_from_buffer(ctx, commands);
        }
        lib.nft_ctx_set_dry_run(ctx, true);
        try {
            return lib.nft_run_cmd_from_buffer(ctx, commands);
        } finally {
            lib.nft_ctx_set_dry_run(ctx, false);
        }
    }

    /**
     * libnftables 1.0.6 quotes the first line of a buffer in every error, whatever line failed, and gives no line
     * number. Read from a file, the same commands get errors that name their line and quote it. So when commands
     * of several lines fail, they are replayed as a dry run (nothing can take effect) from a file that exists only
     * in memory, and that error text is used if it reports the same errors. Costs nothing when commands succeed.
     *
     * @return the located error text, or empty when the replay is not possible or reports something else
     */
    private Optional<String> replayFromFile(byte[] commands, String original) {
        if (!prepareCommandFile(commands)) {
            return Optional.empty();
        }
        int rc;
        lib.nft_ctx_set_dry_run(ctx, true);
        try {
            rc = lib.nft_run_cmd_from_filename(ctx, commandPathBytes);
        } finally {
            lib.nft_ctx_set_dry_run(ctx, false);
        }
        LibNftables.string(lib.nft_ctx_get_output_buffer(ctx));
        String replay = LibNftables.string(lib.nft_ctx_get_error_buffer(ctx))
                .replace(commandPath + ":", COMMAND_FILE_NAME + ":");
        if (rc == 0 || !NftablesException.sameErrors(original, replay)) {
            return Optional.empty();
        }
        return Optional.of(replay);
    }

    /** Writes the commands to the in-memory file; false when there is none (memfd refused). */
    private boolean prepareCommandFile(byte[] commands) {
        if (commandFileUnavailable) {
            return false;
        }
        try {
            if (commandFile == null) {
                int fd = LibC.calls().memfd_create("nftpolicy-commands", LibC.MFD_CLOEXEC);
                if (fd < 0) {
                    throw new IOException("memfd_create: " + LibC.lastError());
                }
                memfd = fd;
                commandPath = "/proc/self/fd/" + fd;
                commandPathBytes = LibNftables.cString(commandPath);
                commandFile = FileChannel.open(Path.of(commandPath), StandardOpenOption.READ,
                        StandardOpenOption.WRITE);
            }
            commandFile.truncate(0);
            // The buffer form ends in NUL; the file holds the text only.
            ByteBuffer text = ByteBuffer.wrap(commands, 0, commands.length - 1);
            long position = 0;
            while (text.hasRemaining()) {
                position += commandFile.write(text, position);
            }
            return true;
        } catch (IOException | LinkageError | RuntimeException e) {
            closeCommandFile();
            commandFileUnavailable = true;
            return false;
        }
    }

    private void closeCommandFile() {
        try {
            if (commandFile != null) {
                commandFile.close();
            }
        } catch (IOException e) {
            // nothing to do: the descriptor is gone either way
        }
        if (memfd >= 0) {
            LibC.calls().close(memfd);
        }
        commandFile = null;
        memfd = -1;
    }

    // ---- handing work to the worker ----

    private static byte[] commandBytes(String commands) {
        if (commands == null) {
            throw new NullPointerException("commands");
        }
        if (commands.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("commands contain a NUL character");
        }
        return LibNftables.cString(commands);
    }

    /** Runs {@code task} on the context's thread and waits for it, uninterruptibly: its outcome is always known. */
    private <T> T onWorker(Callable<T> task) throws NftablesException {
        if (closed.get()) {
            throw new IllegalStateException(this + " is closed");
        }
        CompletableFuture<T> result;
        try {
            result = worker.submit(task);
        } catch (IllegalStateException e) {
            throw new IllegalStateException(this + " is closed", e);
        }
        try {
            return result.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof NftablesException n) {
                throw n;
            }
            if (cause instanceof LinkageError l) {
                throw new NftablesUnavailableException(library, "a call failed: " + LibNftables.reason(l), l);
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new NftablesException("libnftables call failed in " + where + ": " + cause, cause);
        }
    }

    // ---- measurement (package-private, for the benchmark test) ----

    /**
     * Runs each command straight through {@code nft_run_cmd_from_buffer} on the context's thread, reading both
     * buffers after each as {@link #run} does: what a caller living on that thread would pay, without the
     * hand-over. Returns the nanoseconds of each call.
     */
    long[] timeBareCalls(List<String> commands) throws NftablesException {
        List<byte[]> buffers = commands.stream().map(LibNftables::cString).toList();
        return onWorker(() -> {
            long[] nanos = new long[buffers.size()];
            LIBRARY.lock();
            try {
                if (outputFlags != 0) {
                    lib.nft_ctx_output_set_flags(ctx, 0);
                    outputFlags = 0;
                }
                for (int i = 0; i < nanos.length; i++) {
                    long start = System.nanoTime();
                    int rc = lib.nft_run_cmd_from_buffer(ctx, buffers.get(i));
                    LibNftables.string(lib.nft_ctx_get_output_buffer(ctx));
                    String errors = LibNftables.string(lib.nft_ctx_get_error_buffer(ctx));
                    nanos[i] = System.nanoTime() - start;
                    if (rc != 0) {
                        throw NftablesException.fromErrorText(errors, rc, false);
                    }
                }
                return nanos;
            } finally {
                LIBRARY.unlock();
            }
        });
    }

    /** The name of the thread that owns the context. */
    String threadName() throws NftablesException {
        return onWorker(() -> Thread.currentThread().getName());
    }
}
