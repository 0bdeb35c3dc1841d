package io.nftpolicy.backend.sync;

import io.nftpolicy.ruleset.Ruleset;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The right to change table {@code inet nftpolicy} of one network namespace, held by one apply at a time across
 * every process of the host: two applies that read the table back, diff and write at the same time would each send
 * the difference from what they read, and leave a table that is neither ruleset.
 *
 * <p>A POSIX record lock on {@code /run/nftpolicy/net-INODE-inet-nftpolicy.lock}, named after the namespace's
 * inode (the same namespace has the same file, whatever name or path reaches it), and, because the JVM holds such a
 * lock per process, a lock of the JVM per file in front of it. The kernel drops the file lock when the process
 * dies, so a killed apply never leaves the table locked. The files are left in place: deleting a lock file while
 * another process waits on it would let two holders in.
 */
public final class TableLock implements NftExecutor.Hold {
    /** Where the lock files live (tmpfs: gone at reboot, with the namespaces they name). */
    public static final Path DIRECTORY = Path.of("/run/nftpolicy");

    private static final Pattern NAMESPACE_ID = Pattern.compile("net:\\[(\\d+)]");
    private static final Map<Path, ReentrantLock> IN_THIS_JVM = new ConcurrentHashMap<>();

    private final ReentrantLock jvmLock;
    private final FileChannel channel;
    private final FileLock fileLock;

    private TableLock(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
        this.jvmLock = jvmLock;
        this.channel = channel;
        this.fileLock = fileLock;
    }

    /** The lock file of the table in the network namespace the kernel names {@code namespaceId} ({@code net:[N]}). */
    public static Path file(String namespaceId) {
        Matcher m = NAMESPACE_ID.matcher(namespaceId);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a network namespace id (net:[inode]): " + namespaceId);
        }
        return DIRECTORY.resolve("net-" + m.group(1) + "-" + Ruleset.FAMILY + "-" + Ruleset.TABLE + ".lock");
    }

    /** Waits until the table of namespace {@code namespaceId} is free, and takes it. */
    public static TableLock acquire(String namespaceId) throws ApplyException {
        Path file = file(namespaceId);
        ReentrantLock jvmLock = IN_THIS_JVM.computeIfAbsent(file, f -> new ReentrantLock());
        jvmLock.lock();
        FileChannel channel = null;
        try {
            Files.createDirectories(DIRECTORY);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            return new TableLock(jvmLock, channel, channel.lock());
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel);
            jvmLock.unlock();
            throw new ApplyException("cannot lock table " + Ruleset.FAMILY + " " + Ruleset.TABLE + " (" + file
                    + ") against concurrent applies", e);
        }
    }

    @Override
    public void close() {
        try {
            fileLock.release();
        } catch (IOException e) {
            // closing the channel below releases it as well
        } finally {
            closeQuietly(channel);
            jvmLock.unlock();
        }
    }

    private static void closeQuietly(FileChannel channel) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                // nothing more to release
            }
        }
    }
}
