/**
 * Compiles a cluster snapshot into the ruleset of one node.
 *
 * <p>Two compilers share the same steps: {@link io.nftpolicy.compile.PolicyCompiler} runs them from scratch
 * (stateless, the reference), {@link io.nftpolicy.compile.IncrementalCompiler} keeps their results between snapshots
 * and runs again only what a change reaches; both give equal rulesets. The steps: policies are validated
 * ({@code PolicyValidator}); local pods are grouped by the policies that select them ({@code PodGrouping}); each
 * group gets a chain, a rule per peer over shared sets ({@code GroupRules}, which names its sets as
 * {@code SetSpec}s), and for peers beyond the rule limit merged sets of its own ({@code Allowances}); sets of pods are filled from the pods each peer covers
 * ({@code PeerResolver} from scratch, {@code PeerCache} kept up to date); {@code RulesetAssembler} lays out the
 * table. docs/ruleset.md explains the table and the incremental compilation.
 */
package io.nftpolicy.compile;
