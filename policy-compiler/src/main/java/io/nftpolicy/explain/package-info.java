/**
 * What a compiled ruleset does with a connection, and why: the model behind {@code nftpolicy explain}
 * (docs/explain.md).
 *
 * <p>{@link io.nftpolicy.explain.RulesetEvaluator} evaluates one node's {@link io.nftpolicy.ruleset.Ruleset} for the
 * first packet of a connection as the kernel would. It reads each rule's statement, not the compiler's intentions,
 * and refuses any statement it does not understand. It returns a {@link io.nftpolicy.explain.Trace}: every rule met,
 * with why it matched or not, the verdict-map dispatch, and the provenance of what decided (the policy peers of the
 * allow rule or merged-set element, or the policies that isolate the pod that was dropped).
 * {@link io.nftpolicy.explain.ConnectionExplainer} follows a connection from end to end through the nodes' tables,
 * egress on the source's node and ingress on the destination's. {@link io.nftpolicy.explain.TraceText} and
 * {@link io.nftpolicy.explain.ConnectionText} print the results for people.
 *
 * <p>The compiler's unit tests state verdicts through the same evaluator (FakeKernel in the compile tests), and the
 * kernel tests check it against the real kernel (explain's matrices against sandbox's), so the evaluator's reading of
 * the table is tested both ways.
 */
package io.nftpolicy.explain;
