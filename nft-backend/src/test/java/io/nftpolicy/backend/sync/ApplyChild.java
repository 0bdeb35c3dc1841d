package io.nftpolicy.backend.sync;

import io.nftpolicy.compile.EstablishedFlows;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Ruleset;

/**
 * What {@code nftpolicy apply} does, alone in a JVM of its own, so that {@link ApplyKillKernelTest} can kill it with
 * SIGKILL in the middle of a transaction: compiles node-0 of a generated cluster, says {@code applying}, applies it
 * with a fresh applier (read-back first, as a new process does), saying {@code transaction N} before sending each
 * transaction ({@link AnnouncingExecutor}), and says {@code applied} with the milliseconds. Then it waits until its
 * standard input is closed, so that it can also be killed after its last transaction.
 *
 * <p>Arguments: network namespace, namespaces of the generated cluster (50 pods each), seed.
 */
public final class ApplyChild {
    private ApplyChild() {}

    public static void main(String[] args) throws Exception {
        Ruleset ruleset = ruleset(Integer.parseInt(args[1]), Long.parseLong(args[2]));
        try (LibnftablesExecutor executor = LibnftablesExecutor.openInNamespace(args[0])) {
            System.out.println("applying");
            System.out.flush();
            long start = System.nanoTime();
            ApplyResult result = new RulesetApplier(new AnnouncingExecutor(executor)).apply(ruleset);
            System.out.println("applied " + (System.nanoTime() - start) / 1_000_000 + " ms, "
                    + result.operations() + " operations in " + result.transactions() + " transactions");
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the test closes our input (or kills us)
            }
        }
    }

    /** node-0's ruleset of a generated cluster: {@code namespaces} × 50 pods on 20 nodes, 10 policies each. */
    public static Ruleset ruleset(int namespaces, long seed) {
        return new EstablishedFlows().apply(new PolicyCompiler().compile(ClusterGenerator.generate(
                new ClusterGenerator.Size(namespaces, 50, 20, 10, seed)), ClusterGenerator.nodeName(0)).ruleset());
    }
}
