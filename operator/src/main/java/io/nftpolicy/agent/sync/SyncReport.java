package io.nftpolicy.agent.sync;

import io.nftpolicy.agent.cache.PolicyRef;
import io.nftpolicy.backend.sync.ApplyResult;
import io.nftpolicy.compile.Diagnostic;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What one sync did: read the cache, compile this node's ruleset, apply it.
 *
 * @param trigger             why it ran
 * @param finishedAt          when the kernel answered (or the sync failed)
 * @param durationNanos       from taking the snapshot to the kernel's answer
 * @param eventToKernelNanos  from the arrival of the oldest change this sync carried to the kernel's commit; empty
 *                            when the sync failed, carried no change (a drift repair alone), or was the startup
 *                            sync
 * @param policies            NetworkPolicies in the snapshot
 * @param localPods           this node's pods that take part in policy and have an address
 * @param ruleset             the compiled ruleset; empty when the failure came before compiling
 * @param diagnostics         conversion and compilation diagnostics of the snapshot
 * @param policyRefs          uid and generation of every policy of the snapshot, by namespace/name
 * @param result              what the applier did; empty when the sync failed
 * @param error               one line: why the sync failed; empty when it succeeded
 * @param failingCommand      the nft command the kernel refused, when it named one
 * @param consecutiveFailures failures in a row, this one included; 0 on success
 * @param retryIn             when the sync failed: the back-off before the next attempt
 * @param snapshotNanos       of {@code durationNanos}: taking the cache's snapshot
 * @param compileNanos        of {@code durationNanos}: compiling it (0 when the failure came before)
 * @param queuedNanos         before {@code durationNanos}: from the arrival of the oldest change this sync carried
 *                            to the start of the sync (the coalescing window and the controller's scheduling);
 *                            empty when it carried no change, as {@code eventToKernelNanos}
 */
public record SyncReport(
        Trigger trigger,
        Instant finishedAt,
        long durationNanos,
        OptionalLong eventToKernelNanos,
        int policies,
        int localPods,
        Optional<Ruleset> ruleset,
        List<Diagnostic> diagnostics,
        Map<String, PolicyRef> policyRefs,
        Optional<ApplyResult> result,
        Optional<String> error,
        Optional<String> failingCommand,
        int consecutiveFailures,
        Optional<Duration> retryIn,
        long snapshotNanos,
        long compileNanos,
        OptionalLong queuedNanos) {

    public SyncReport {
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(finishedAt, "finishedAt");
        diagnostics = List.copyOf(diagnostics);
        policyRefs = Map.copyOf(policyRefs);
    }

    public boolean succeeded() {
        return error.isEmpty();
    }
}
