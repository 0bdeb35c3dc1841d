package io.nftpolicy.bench.scaling;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An {@link NftExecutor} that keeps every transaction it is given, as nft text, and passes it on to the kernel when
 * it has one.
 * Without a kernel it stands for an empty table that accepts everything: enough to see what the backend would send.
 */
final class RecordingExecutor implements NftExecutor {
    private final Optional<NftExecutor> kernel;
    private final List<String> scripts = new ArrayList<>();

    private RecordingExecutor(Optional<NftExecutor> kernel) {
        this.kernel = kernel;
    }

    static RecordingExecutor withoutKernel() {
        return new RecordingExecutor(Optional.empty());
    }

    static RecordingExecutor passingTo(NftExecutor kernel) {
        return new RecordingExecutor(Optional.of(kernel));
    }

    @Override
    public String run(Transaction transaction) throws ApplyException {
        scripts.add(transaction.render());
        return kernel.isPresent() ? kernel.get().run(transaction) : "";
    }

    @Override
    public Optional<KernelTable> readBack() throws ApplyException {
        return kernel.isPresent() ? kernel.get().readBack() : Optional.empty();
    }

    /** The scripts run since the last call, oldest first; forgets them. */
    List<String> takeScripts() {
        List<String> taken = List.copyOf(scripts);
        scripts.clear();
        return taken;
    }
}
