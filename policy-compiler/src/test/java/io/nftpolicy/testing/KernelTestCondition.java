package io.nftpolicy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Runs {@link KernelTest}s as root only. {@code -Dnftpolicy.kernel-tests=skip} skips them even as root: how the
 * non-root path (and its summary) is tried on a machine where the tests run as root.
 */
public final class KernelTestCondition implements ExecutionCondition {
    static final String SKIP_PROPERTY = "nftpolicy.kernel-tests";
    /** How this condition's reasons begin: the summary counts only the tests skipped for being kernel tests. */
    static final String REASON = "kernel test: ";

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if ("skip".equals(System.getProperty(SKIP_PROPERTY))) {
            return ConditionEvaluationResult.disabled(REASON + "skipped (-D" + SKIP_PROPERTY + "=skip)");
        }
        if (!isRoot()) {
            return ConditionEvaluationResult.disabled(REASON + "needs root (network namespaces, nftables)");
        }
        return ConditionEvaluationResult.enabled("running as root");
    }

    /** Whether this process runs as uid 0, read from /proc (no JNI, no external command). */
    public static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .anyMatch(l -> l.matches("Uid:\\s+0\\s.*"));
        } catch (IOException e) {
            return false;
        }
    }
}
