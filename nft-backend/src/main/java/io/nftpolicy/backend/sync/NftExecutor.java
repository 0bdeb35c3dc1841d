package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.ruleset.Ruleset;
import java.util.Map;
import java.util.Optional;

/**
 * The kernel, as the backend uses it: run one {@link Transaction}, and read nftpolicy's table back.
 * {@link LibnftablesExecutor} talks to libnftables; {@link FakeNft} holds the table in memory (for tests, and for
 * measuring what the backend sends without a kernel).
 *
 * <p>Implementations act on one network namespace and are used from one thread at a time (libnftables keeps
 * process-global state).
 */
public interface NftExecutor {

    /** The table held against other applies, until closed. */
    interface Hold extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Waits until no other apply (of this process or another) is changing the table in this executor's network
     * namespace, and holds it until the result is closed. The default holds nothing: an executor of its own kernel
     * (a fake) has no one to share it with.
     */
    default Hold lockTable() throws ApplyException {
        return () -> { };
    }

    /**
     * Runs {@code transaction} as one kernel transaction: all of it applies, or none of it.
     *
     * @return what nft printed, usually nothing
     * @throws ApplyException when nft or the kernel refuses it (nothing of it was applied), with nft's error
     *                        text and, when it names one, the failing command
     */
    String run(Transaction transaction) throws ApplyException;

    /**
     * How the kernel lists each rule statement of {@code ruleset} ({@link io.nftpolicy.backend.kernel.RuleExpression}),
     * to compare rules read back whole; statements missing from the map are compared by digest only. The default
     * knows none.
     */
    default Map<String, String> ruleExpressions(Ruleset ruleset) {
        return Map.of();
    }

    /**
     * Reads back table {@code inet nftpolicy}.
     *
     * @return empty when there is no such table
     * @throws ApplyException when it cannot be listed or parsed
     */
    Optional<KernelTable> readBack() throws ApplyException;

    /**
     * Reads back the declarations of table {@code inet nftpolicy}: its comment, chains with their rules, sets and
     * maps without their elements. The default reads the whole table; {@link LibnftablesExecutor} lists it tersely.
     *
     * @return empty when there is no such table
     */
    default Optional<KernelTable> readDeclarations() throws ApplyException {
        return readBack().map(KernelTable::withoutElements);
    }

    /** Reads back one set of the table with its elements; empty when there is no such set (or table). */
    default Optional<NamedSet> readSet(String name) throws ApplyException {
        return readBack().flatMap(t -> t.sets().stream().filter(s -> s.name().equals(name)).findFirst());
    }

    /**
     * Reads the figures of the table's counters (rule counters and counting sets' elements,
     * {@link io.nftpolicy.backend.kernel.CounterReader}). The default has none to read: empty, as for no table.
     */
    default Optional<io.nftpolicy.stats.CounterReadings> readCounters() throws ApplyException {
        return Optional.empty();
    }

    /** Reads back one verdict map of the table with its elements; empty when there is no such map (or table). */
    default Optional<VerdictMap> readMap(String name) throws ApplyException {
        return readBack().flatMap(t -> t.maps().stream().filter(m -> m.name().equals(name)).findFirst());
    }
}
