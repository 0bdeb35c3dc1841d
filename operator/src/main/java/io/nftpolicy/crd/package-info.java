/**
 * The NodePolicyStatus custom resource ({@code nftpolicy.io/v1alpha1}, cluster-scoped, one per node, named after
 * the node): what the agent of that node last enforced, and how healthy it is. {@code kubectl get nps} lists every
 * node's agent.
 *
 * <p>The CRD in {@code crds/} is generated from these classes by fabric8's CRD generator; {@code CrdGoldenFileTest}
 * fails when they drift apart and says how to regenerate.
 */
package io.nftpolicy.crd;
