package io.nftpolicy.agent;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.backend.sync.Transaction;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import io.nftpolicy.stats.CounterReadings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An executor around another that notes when each of its kernel calls ran ({@link System#nanoTime()}), for a
 * measurement to find the reads of the drift thread that overlapped a slow sync: they share libnftables' one lock
 * of the process with the worker's commits.
 */
final class TimedReader implements NftExecutor {
    /** One call: what it read, from when to when. */
    record Call(String what, long startNanos, long endNanos) {
        long nanos() {
            return endNanos - startNanos;
        }

        /** How long this call ran within [from, to]. */
        long overlap(long from, long to) {
            return Math.max(0, Math.min(endNanos, to) - Math.max(startNanos, from));
        }
    }

    private interface Read<T> {
        T read() throws ApplyException;
    }

    private final NftExecutor delegate;
    private final List<Call> calls = new ArrayList<>();

    TimedReader(NftExecutor delegate) {
        this.delegate = delegate;
    }

    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    private <T> T timed(String what, Read<T> read) throws ApplyException {
        long start = System.nanoTime();
        try {
            return read.read();
        } finally {
            long end = System.nanoTime();
            synchronized (this) {
                calls.add(new Call(what, start, end));
            }
        }
    }

    @Override
    public Hold lockTable() throws ApplyException {
        return delegate.lockTable();
    }

    @Override
    public String run(Transaction transaction) throws ApplyException {
        return timed("run", () -> delegate.run(transaction));
    }

    @Override
    public Map<String, String> ruleExpressions(Ruleset ruleset) {
        return delegate.ruleExpressions(ruleset);
    }

    @Override
    public Optional<KernelTable> readBack() throws ApplyException {
        return timed("table", delegate::readBack);
    }

    @Override
    public Optional<KernelTable> readDeclarations() throws ApplyException {
        return timed("declarations", delegate::readDeclarations);
    }

    @Override
    public Optional<NamedSet> readSet(String name) throws ApplyException {
        return timed("set", () -> delegate.readSet(name));
    }

    @Override
    public Optional<VerdictMap> readMap(String name) throws ApplyException {
        return timed("map", () -> delegate.readMap(name));
    }

    @Override
    public Optional<CounterReadings> readCounters() throws ApplyException {
        return timed("counters", delegate::readCounters);
    }
}
