package io.nftpolicy.backend.sync;

import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Ruleset;

/**
 * What {@code nftpolicy apply} does, alone in a JVM of its own, so that {@link ApplyKillKernelTest} can kill it with
 * SIGKILL in the middle of a transaction: compiles node-0 of a generated cluster, says {@code applying}, applies it
 * with a fresh applier (read-back first, as a new process does), saying {@code transaction N} before sending each
 * transaction, and says {@code applied} with the milliseconds.
 *
 * <p>Arguments: network namespace, namespaces of the generated cluster (50 pods each), seed.
 */
final class ApplyChild {
    private ApplyChild() {}

    public static void main(String[] args) throws Exception {
        Ruleset ruleset = ruleset(Integer.parseInt(args[1]), Long.parseLong(args[2]));
        try (LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(args[0])) {
            System.out.println("applying");
            System.out.flush();
            long start = System.nanoTime();
            ApplyResult result = new RulesetApplier(new Announcing(executor)).apply(ruleset);
            System.out.println("applied " + (System.nanoTime() - start) / 1_000_000 + " ms, "
                    + result.operations() + " operations in " + result.transactions() + " transactions");
        }
    }

    /** Says {@code transaction N} on stdout before it sends each transaction: the test kills from there. */
    private static final class Announcing implements NftExecutor {
        private final LibnftablesExecutor executor;
        private int sent;

        Announcing(LibnftablesExecutor executor) {
            this.executor = executor;
        }

        @Override
        public Hold lockTable() throws ApplyException {
            return executor.lockTable();
        }

        @Override
        public String run(String script) throws ApplyException {
            System.out.println("transaction " + ++sent);
            System.out.flush();
            return executor.run(script);
        }

        @Override
        public java.util.Map<String, String> ruleExpressions(Ruleset ruleset) {
            return executor.ruleExpressions(ruleset);
        }

        @Override
        public java.util.Optional<io.nftpolicy.backend.kernel.KernelTable> readBack() throws ApplyException {
            return executor.readBack();
        }
    }

    /** node-0's ruleset of a generated cluster: {@code namespaces} × 50 pods on 20 nodes, 10 policies each. */
    static Ruleset ruleset(int namespaces, long seed) {
        return new EstablishedFlows().apply(new PolicyCompiler().compile(ClusterGenerator.generate(
                new ClusterGenerator.Size(namespaces, 50, 20, 10, seed)), ClusterGenerator.nodeName(0)).ruleset());
    }
}
