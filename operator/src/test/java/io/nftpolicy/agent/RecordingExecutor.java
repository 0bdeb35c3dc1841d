package io.nftpolicy.agent;

import io.nftpolicy.compile.EstablishedFlows;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.NftObject;
import io.nftpolicy.backend.sync.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * An executor around another (the fake, or libnftables in a test namespace) that the test thread can inspect while
 * the agent's worker uses it: every script with the time its transaction was committed, and failures on demand.
 */
final class RecordingExecutor implements NftExecutor {
    /**
     * A transaction the kernel (or the fake) accepted, with {@link System#nanoTime()} before the call and after it
     * returned.
     */
    record Commit(Transaction transaction, long startedNanos, long committedNanos) {
        /** The transaction as nft text, for messages and for looking for an address. */
        String script() {
            return transaction.render();
        }

        /**
         * Whether every operation adds or deletes set or map elements, apart from the raised flow generation that
         * comes with every change (its element, and the rule of the stamp chain).
         */
        boolean elementsOnly() {
            return transaction.steps().stream().map(Transaction.Operation::object)
                    .filter(o -> !(o instanceof NftObject.Element e && e.container().equals(EstablishedFlows.GENERATION_SET))
                            && !(o instanceof NftObject.Chain c && c.name().equals(EstablishedFlows.STAMP_CHAIN))
                            && !(o instanceof NftObject.Rule r && r.chain().equals(EstablishedFlows.STAMP_CHAIN)))
                    .allMatch(o -> o instanceof NftObject.Element);
        }

        /** What every change adds to its transaction: the generation element replaced, the stamp rule rewritten. */
        static final int GENERATION_OPERATIONS = 4;
    }

    /**
     * A transaction the kernel refused ({@link #refuseInKernelNext}): when, libnftables' message, and the table read
     * back at once, before anything else could write.
     */
    record Refusal(long refusedNanos, String error, Optional<KernelTable> tableAfter) {}

    /** Appended to a script, makes the kernel refuse the whole transaction: the table it deletes does not exist. */
    static final String REFUSED_COMMAND = "delete table ip nftpolicy-refused-by-the-test";

    private final NftExecutor delegate;
    private final List<Commit> commits = new ArrayList<>();
    private final List<Refusal> refusals = new ArrayList<>();
    private int failuresToInject;
    private int kernelRefusalsToInject;
    private int refused;

    RecordingExecutor(NftExecutor delegate) {
        this.delegate = delegate;
    }

    @Override
    public synchronized String run(Transaction transaction) throws ApplyException {
        if (failuresToInject > 0) {
            failuresToInject--;
            refused++;
            throw ApplyException.refused("nft", transaction.render(),
                    "Error: Could not process rule: Cannot allocate memory (injected by the test)\n");
        }
        if (kernelRefusalsToInject > 0) {
            kernelRefusalsToInject--;
            refused++;
            if (!(delegate instanceof LibnftablesExecutor kernel)) {
                throw new IllegalStateException("only libnftables can be made to refuse in the kernel");
            }
            try {
                // No Transaction can name another table: the refusal is written as text.
                kernel.runScript(transaction.render() + REFUSED_COMMAND + "\n");
            } catch (ApplyException e) {
                refusals.add(new Refusal(System.nanoTime(), e.getMessage(), delegate.readBack()));
                throw e;
            }
            throw new AssertionError("the kernel accepted a transaction that deletes a table it does not have");
        }
        long started = System.nanoTime();
        String out = delegate.run(transaction);
        commits.add(new Commit(transaction, started, System.nanoTime()));
        return out;
    }

    @Override
    public synchronized Optional<KernelTable> readBack() throws ApplyException {
        return delegate.readBack();
    }

    /** Makes the next {@code n} runs fail as the kernel would, applying nothing. */
    synchronized void failNext(int n) {
        failuresToInject = n;
    }

    /**
     * Sends the next {@code n} transactions to the kernel with {@link #REFUSED_COMMAND} appended: libnftables sends
     * them whole, and the kernel refuses and aborts each.
     */
    synchronized void refuseInKernelNext(int n) {
        kernelRefusalsToInject = n;
    }

    synchronized List<Refusal> refusals() {
        return List.copyOf(refusals);
    }

    synchronized int refused() {
        return refused;
    }

    synchronized List<Commit> commits() {
        return List.copyOf(commits);
    }

    /**
     * The first commit from {@code index} on whose script passes: rendered outside the lock, so that a test polling
     * for it does not hold up the worker's next transaction.
     */
    Optional<Commit> firstCommitSince(int index, Predicate<String> script) {
        List<Commit> since;
        synchronized (this) {
            since = index >= commits.size() ? List.of() : List.copyOf(commits.subList(index, commits.size()));
        }
        return since.stream().filter(c -> script.test(c.script())).findFirst();
    }

    synchronized <T> T locked(java.util.function.Supplier<T> read) {
        return read.get();
    }

    NftExecutor delegate() {
        return delegate;
    }

    static List<String> lines(String script) {
        List<String> out = new ArrayList<>();
        script.lines().filter(l -> !l.isBlank()).forEach(out::add);
        return out;
    }
}
