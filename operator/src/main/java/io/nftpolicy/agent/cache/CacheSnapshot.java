package io.nftpolicy.agent.cache;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Diagnostic;
import java.util.List;
import java.util.Map;

/**
 * One view of the cache: the compiler's input, what was dropped while converting it (pod ports with an unknown
 * protocol or no number), and the metadata of every policy in it, keyed by namespace/name.
 */
public record CacheSnapshot(ClusterSnapshot cluster, List<Diagnostic> conversionDiagnostics,
                            Map<String, PolicyRef> policies) {
    public CacheSnapshot {
        conversionDiagnostics = List.copyOf(conversionDiagnostics);
        policies = Map.copyOf(policies);
    }
}
