package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.kernel.KernelTableFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads table {@code inet nftpolicy} back in a loop, on a thread and a libnftables context of its own and without
 * the table lock (it must see what packets see), until stopped; then once more: what stays. For the kill tests.
 */
public final class TablePoller implements AutoCloseable {
    private final List<Optional<KernelTable>> reads = new ArrayList<>();
    private final Thread thread;
    private volatile boolean stopping;
    private volatile Exception failure;

    public TablePoller(String netns) {
        thread = new Thread(() -> {
            try (LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(netns)) {
                do {
                    Optional<KernelTable> read;
                    try {
                        read = executor.readBack();
                    } catch (ApplyException e) {
                        if (!(e.getCause() instanceof KernelTableFormatException)) {
                            throw e;
                        }
                        // A listing is not atomic: a commit landing in the middle of the dump can show an object
                        // twice. That is the listing's view, not what packets see; read again.
                        continue;
                    }
                    synchronized (reads) {
                        reads.add(read);
                    }
                } while (!stopping);
                Optional<KernelTable> last = executor.readBack(); // after the kill: what stays
                synchronized (reads) {
                    reads.add(last);
                }
            } catch (Exception e) {
                failure = e;
            }
        }, "table-poller");
        thread.start();
    }

    /** Stops, and returns every read in order, the last one taken after the stop. */
    public List<Optional<KernelTable>> stop() throws Exception {
        close();
        if (failure != null) {
            throw failure;
        }
        synchronized (reads) {
            return List.copyOf(reads);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stopping = true;
        thread.join(60_000);
    }
}
