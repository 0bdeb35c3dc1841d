package io.nftpolicy.cli;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The kernel as apply and verify reach it: libnftables (never the nft program), opened in the network namespace the
 * process runs in or in a named one, after the host checks both commands share.
 *
 * <p>As the backend's {@link NftExecutor} it runs each transaction through {@link LibnftablesExecutor} and remembers
 * whether the kernel refused one, which tells a refused transaction (exit 4) from a table that could not be read
 * back. In dry-run mode it commits nothing: each transaction is checked instead ({@link Nftables#check}: libnftables
 * evaluates it and the kernel validates it, then it is aborted), and its script is kept for printing.
 */
final class Kernel implements NftExecutor, AutoCloseable {
    private final Nftables nft;
    private final LibnftablesExecutor executor;
    private final String where;
    private final boolean dryRun;
    private final List<String> scripts = new ArrayList<>();
    private boolean refused;

    private Kernel(Nftables nft, String where, boolean dryRun) {
        this.nft = nft;
        this.executor = new LibnftablesExecutor(nft);
        this.where = where;
        this.dryRun = dryRun;
    }

    /**
     * Opens libnftables for {@code command}.
     *
     * @param netns a network namespace name ({@code ip netns}), or null for the process's own
     * @throws UserException (exit 2) when not root, when libnftables is missing or too old (naming the package to
     *                       install), or when the namespace cannot be entered
     */
    static Kernel open(Host host, String command, String netns, boolean dryRun) throws UserException {
        if (!host.isRoot()) {
            throw new UserException(command + " must run as root: it reads and changes the kernel's nftables, which "
                    + "needs CAP_NET_ADMIN (try: sudo nftpolicy " + command + " ...)");
        }
        String where = netns == null ? "the current network namespace" : "network namespace " + netns;
        try {
            return new Kernel(host.nftables(netns), where, dryRun);
        } catch (IllegalArgumentException e) {
            throw new UserException("--netns: " + e.getMessage(), e);
        } catch (NftablesException e) {
            // NftablesUnavailableException's message names the package (libnftables1) and how to install it.
            throw new UserException(e.getMessage(), e);
        }
    }

    /** The libnftables context, for reading what the transactions do not cover (the drop log's counters). */
    Nftables nftables() {
        return nft;
    }

    /** {@code the current network namespace}, or {@code network namespace NAME}. */
    String where() {
        return where;
    }

    /** The scripts run (or, in dry-run mode, checked), in order. */
    List<String> scripts() {
        return List.copyOf(scripts);
    }

    /** Whether the kernel (or libnftables) refused a transaction. */
    boolean refused() {
        return refused;
    }

    @Override
    public String run(Transaction transaction) throws ApplyException {
        String script = transaction.render();
        scripts.add(script);
        if (!dryRun) {
            try {
                return executor.run(transaction);
            } catch (ApplyException e) {
                refused = true;
                throw e;
            }
        }
        try {
            nft.check(script);
            return "";
        } catch (NftablesException e) {
            refused = true;
            String failing = e.failingCommand().or(() -> ApplyException.failingCommand(script, e.errorText()))
                    .orElse(null);
            ApplyException refusal = new ApplyException("nft refused the transaction (dry run)",
                    e.errorText().isEmpty() ? e.getMessage() : e.errorText(), failing);
            refusal.initCause(e);
            throw refusal;
        }
    }

    @Override
    public Optional<KernelTable> readBack() throws ApplyException {
        return executor.readBack();
    }

    @Override
    public Optional<io.nftpolicy.stats.CounterReadings> readCounters() throws ApplyException {
        return executor.readCounters();
    }

    @Override
    public void close() {
        nft.close();
    }
}
