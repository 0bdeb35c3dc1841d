package io.nftpolicy.backend.sync;

import io.nftpolicy.backend.kernel.KernelTable;
import io.nftpolicy.ruleset.NamedSet;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.ruleset.VerdictMap;
import java.util.Map;
import java.util.Optional;

/**
 * A libnftables executor that says {@code transaction N} on stdout before it sends each transaction: a test that
 * runs it in a child JVM kills the child from there.
 */
public final class AnnouncingExecutor implements NftExecutor {
    private final LibnftablesExecutor executor;
    private int sent;

    public AnnouncingExecutor(LibnftablesExecutor executor) {
        this.executor = executor;
    }

    @Override
    public Hold lockTable() throws ApplyException {
        return executor.lockTable();
    }

    @Override
    public synchronized String run(Transaction script) throws ApplyException {
        System.out.println("transaction " + ++sent);
        System.out.flush();
        return executor.run(script);
    }

    @Override
    public Map<String, String> ruleExpressions(Ruleset ruleset) {
        return executor.ruleExpressions(ruleset);
    }

    @Override
    public Optional<KernelTable> readBack() throws ApplyException {
        return executor.readBack();
    }

    @Override
    public Optional<KernelTable> readDeclarations() throws ApplyException {
        return executor.readDeclarations();
    }

    @Override
    public Optional<NamedSet> readSet(String name) throws ApplyException {
        return executor.readSet(name);
    }

    @Override
    public Optional<VerdictMap> readMap(String name) throws ApplyException {
        return executor.readMap(name);
    }
}
