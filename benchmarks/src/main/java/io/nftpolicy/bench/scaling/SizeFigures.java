package io.nftpolicy.bench.scaling;

import io.nftpolicy.bench.compile.BenchCluster.Change;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * What one cluster size costs on node-0: the ruleset's size, the time to compile it, and the transaction the backend
 * sends for each one-object change.
 *
 * @param localPods     pods on node-0 (the ones with chains of their own)
 * @param sets          named sets, verdict maps included
 * @param elements      elements of all sets and maps
 * @param renderedBytes the ruleset as {@code nft -f} text (what a cold start sends)
 * @param compileMillis median of the timed full compiles, in this JVM (JMH gives the rigorous figure)
 * @param changes       the changes the cluster allows ({@link io.nftpolicy.bench.compile.BenchCluster#allows})
 */
record SizeFigures(int pods, int policies, int namespaces, int localPods, int chains, int rules, int sets,
                   int elements, long renderedBytes, double compileMillis, Map<Change, Transaction> changes) {

    SizeFigures {
        changes = Map.copyOf(changes);
    }

    /**
     * The transaction of one change, and of undoing it.
     *
     * @param script       what was sent for the change (the largest transaction when there were several)
     * @param kernelMillis from apply to commit in the kernel, diff included; empty when run without a kernel
     */
    record Transaction(long bytes, int operations, long undoBytes, String script, OptionalDouble kernelMillis) {}
}
