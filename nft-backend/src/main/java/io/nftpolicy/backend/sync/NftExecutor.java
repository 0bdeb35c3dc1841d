package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelTable;
import java.util.Optional;

/**
 * The kernel, as the backend uses it: run one nft script as one transaction, and read nftpolicy's table back.
 * {@link LibnftablesExecutor} talks to libnftables; tests use an in-memory fake.
 *
 * <p>Implementations act on one network namespace and are used from one thread at a time (libnftables keeps
 * process-global state).
 */
public interface NftExecutor {

    /**
     * Runs {@code script} (nft commands, one per line) as one transaction: all of it applies, or none of it.
     *
     * @return what nft printed, usually nothing
     * @throws ApplyException when nft or the kernel refuses it (nothing of it was applied), with nft's error
     *                        text and, when it names one, the failing command
     */
    String run(String script) throws ApplyException;

    /**
     * Reads back table {@code inet nftpolicy}.
     *
     * @return empty when there is no such table
     * @throws ApplyException when it cannot be listed or parsed
     */
    Optional<KernelTable> readBack() throws ApplyException;
}
