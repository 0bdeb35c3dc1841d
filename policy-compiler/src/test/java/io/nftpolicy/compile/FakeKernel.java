package io.nftpolicy.compile;

import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.explain.Hook;
import io.nftpolicy.explain.Packet;
import io.nftpolicy.explain.RulesetEvaluator;
import io.nftpolicy.ruleset.Ruleset;

/**
 * The kernel's forward hook over a compiled ruleset, as {@link RulesetEvaluator} evaluates it, so that unit tests
 * state verdicts ("x/a may reach y/b on TCP 80") without depending on the table's layout. The kernel tests in
 * nft-backend prove the same verdicts on the real kernel. A statement the evaluator does not understand fails the
 * test rather than being skipped.
 */
final class FakeKernel {
    private final RulesetEvaluator evaluator;

    FakeKernel(Ruleset ruleset) {
        this.evaluator = new RulesetEvaluator(ruleset);
    }

    /** Whether the forward hook lets a new connection from src to dst on protocol/port through. */
    boolean forwards(String src, String dst, Protocol protocol, int port) {
        return evaluator.evaluate(Packet.of(src, dst, protocol, port), Hook.FORWARD).accepted();
    }
}
