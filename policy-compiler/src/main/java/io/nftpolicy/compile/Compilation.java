package io.nftpolicy.compile;

import io.nftpolicy.ruleset.Ruleset;
import java.util.List;

/** The ruleset of one node, and what was wrong with the snapshot it came from. */
public record Compilation(Ruleset ruleset, List<Diagnostic> diagnostics) {
    public Compilation {
        diagnostics = List.copyOf(diagnostics);
    }
}
