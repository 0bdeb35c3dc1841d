package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.kernel.KernelTableFormatException;
import io.nftpolicy.backend.kernel.KernelTableReader;
import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The kernel through libnftables: a transaction is rendered ({@link TransactionText}) and run as one
 * {@link Nftables#run}, and the table is read back with {@link KernelTableReader}. Acts on the network namespace its {@link Nftables} context was opened in.
 */
public final class LibnftablesExecutor implements NftExecutor, AutoCloseable {
    private final Nftables nft;
    private final boolean owned;
    /** The namespace the context acts on, once asked (it never changes). */
    private volatile String namespaceId;
    /** Who makes the whole-table listings of {@link #readDeclarations} and {@link #readCounters}. */
    private volatile KernelTableReader.Lister tables;

    /** Uses {@code nft}, which the caller keeps and closes. */
    public LibnftablesExecutor(Nftables nft) {
        this(nft, false);
    }

    private LibnftablesExecutor(Nftables nft, boolean owned) {
        this.nft = Objects.requireNonNull(nft, "nft");
        this.owned = owned;
        this.tables = nft::listTable;
    }

    /**
     * Makes the whole-table listings of {@link #readDeclarations} and {@link #readCounters} through {@code lister}
     * (a child {@code nft} process, {@link io.nftpolicy.backend.kernel.NftProcess}) rather than this context, so
     * that they hold none of this process's libnftables; the reads of one set or map, and {@link #readBack}, stay
     * here. For a reader on the same table as the sync loop's executor, whose transactions would wait for them.
     *
     * @return this executor
     */
    public LibnftablesExecutor listingTablesThrough(KernelTableReader.Lister lister) {
        Objects.requireNonNull(lister, "lister");
        java.util.concurrent.atomic.AtomicBoolean warned = new java.util.concurrent.atomic.AtomicBoolean();
        // A listing that fails there is made here: a drift check must not report drift, and repair it by a read-back,
        // because a child process could not run.
        this.tables = (family, table, flags) -> {
            try {
                return lister.listTable(family, table, flags);
            } catch (NftablesException e) {
                if (warned.compareAndSet(false, true)) {
                    System.getLogger(LibnftablesExecutor.class.getName()).log(System.Logger.Level.WARNING,
                            "listing through " + lister + " failed, listing in this process instead (again "
                                    + "without this warning): " + e.getMessage());
                }
                return nft.listTable(family, table, flags);
            }
        };
        return this;
    }

    /** An executor on a context of its own in the current network namespace; {@link #close()} frees it. */
    public static LibnftablesExecutor open() throws ApplyException {
        try {
            return new LibnftablesExecutor(Nftables.open(), true);
        } catch (NftablesException e) {
            throw new ApplyException("cannot open libnftables", e);
        }
    }

    /** An executor on a context of its own in network namespace {@code netns}; {@link #close()} frees it. */
    public static LibnftablesExecutor openInNamespace(String netns) throws ApplyException {
        try {
            return new LibnftablesExecutor(Nftables.openInNamespace(netns), true);
        } catch (NftablesException e) {
            throw new ApplyException("cannot open libnftables in network namespace " + netns, e);
        }
    }

    @Override
    public String run(Transaction transaction) throws ApplyException {
        return runScript(transaction.render());
    }

    /**
     * Runs an nft script as one transaction, as {@link #run(Transaction)} does: for text that is not a
     * {@link Transaction} (a test that makes the kernel refuse one by naming another table).
     */
    public String runScript(String script) throws ApplyException {
        try {
            return nft.run(script);
        } catch (NftablesException e) {
            String failing = e.failingCommand().or(() -> ApplyException.failingCommand(script, e.errorText()))
                    .orElse(null);
            ApplyException refused = new ApplyException("nft refused the transaction", e.errorText().isEmpty()
                    ? e.getMessage() : e.errorText(), failing);
            refused.initCause(e);
            throw refused;
        }
    }

    /** A {@link TableLock} on the table of the namespace the context acts on. */
    @Override
    public Hold lockTable() throws ApplyException {
        String namespace = namespaceId;
        if (namespace == null) {
            try {
                namespace = nft.namespaceId();
            } catch (NftablesException e) {
                throw new ApplyException("cannot lock the table", e);
            }
            namespaceId = namespace;
        }
        return TableLock.acquire(namespace);
    }

    /** Learned once per statement in a scratch network namespace ({@link RuleCanonicalizer}). */
    @Override
    public Map<String, String> ruleExpressions(Ruleset ruleset) {
        return RuleCanonicalizer.shared().expressions(ruleset);
    }

    @Override
    public Optional<KernelTable> readBack() throws ApplyException {
        return reading("table " + Ruleset.FAMILY + " " + Ruleset.TABLE, () -> KernelTableReader.read(nft));
    }

    @Override
    public Optional<KernelTable> readDeclarations() throws ApplyException {
        return reading("table " + Ruleset.FAMILY + " " + Ruleset.TABLE,
                () -> KernelTableReader.readDeclarations(tables));
    }

    @Override
    public Optional<NamedSet> readSet(String name) throws ApplyException {
        return reading("set " + Ruleset.FAMILY + " " + Ruleset.TABLE + " " + name,
                () -> KernelTableReader.readSet(nft, name));
    }

    @Override
    public Optional<VerdictMap> readMap(String name) throws ApplyException {
        return reading("map " + Ruleset.FAMILY + " " + Ruleset.TABLE + " " + name,
                () -> KernelTableReader.readMap(nft, name));
    }

    @Override
    public Optional<io.nftpolicy.stats.CounterReadings> readCounters() throws ApplyException {
        return reading("the counters of table " + Ruleset.FAMILY + " " + Ruleset.TABLE,
                () -> io.nftpolicy.backend.kernel.CounterReader.read(tables, nft));
    }

    private interface Read<T> {
        T read() throws NftablesException;
    }

    private static <T> T reading(String what, Read<T> read) throws ApplyException {
        try {
            return read.read();
        } catch (NftablesException e) {
            ApplyException failed = new ApplyException("cannot list " + what,
                    e.errorText().isEmpty() ? e.getMessage() : e.errorText(), null);
            failed.initCause(e);
            throw failed;
        } catch (KernelTableFormatException e) {
            throw new ApplyException("cannot read " + what + " back", e);
        }
    }

    /** Frees the libnftables context if this executor opened it. */
    @Override
    public void close() {
        if (owned) {
            nft.close();
        }
    }

    @Override
    public String toString() {
        return "LibnftablesExecutor[" + nft + "]";
    }
}
