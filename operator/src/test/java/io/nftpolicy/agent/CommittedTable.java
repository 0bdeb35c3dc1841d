package io.nftpolicy.agent;

import io.nftpolicy.backend.sync.FakeNft;
import io.nftpolicy.ruleset.Chain;
import io.nftpolicy.ruleset.Ruleset;
import java.util.List;
import java.util.Optional;

/** What an agent under test has committed to a fake kernel, read between its transactions. */
record CommittedTable(RecordingExecutor kernel, FakeNft fake) {
    Optional<Ruleset> ruleset() {
        return kernel.locked(fake::ruleset);
    }

    List<String> chainNames() {
        return ruleset().map(r -> r.chains().stream().map(Chain::name).toList()).orElse(List.of());
    }

    /** The addresses in the table's peer sets. */
    List<String> peerElements() {
        return ruleset().map(r -> r.sets().stream().filter(s -> s.name().startsWith("peer-"))
                .flatMap(s -> s.elements().stream().map(e -> e.keyToNft())).toList()).orElse(List.of());
    }
}
