package io.nftpolicy.explain;

/**
 * An end of a connection that cannot be explained, in words for the person who named it: no such pod, a pod
 * without address or node, ends without a common address family. Unlike the evaluator's errors (a rule it cannot
 * read), it is about the question, not about the ruleset.
 */
public final class InvalidEndException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    InvalidEndException(String message) {
        super(message);
    }
}
