package io.nftpolicy.snapshot;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.Diagnostic;
import java.util.List;

/**
 * What a snapshot file holds for the compiler.
 *
 * @param diagnostics values the API server would refuse, left out (a label, a container port)
 * @param warnings one line each, about objects of the file that were skipped (file:line: ...)
 */
public record SnapshotFile(ClusterSnapshot snapshot, List<Diagnostic> diagnostics, List<String> warnings) {
    public SnapshotFile {
        diagnostics = List.copyOf(diagnostics);
        warnings = List.copyOf(warnings);
    }
}
