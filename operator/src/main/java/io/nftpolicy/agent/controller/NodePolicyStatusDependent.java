package io.nftpolicy.agent.controller;

import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.nftpolicy.crd.NodePolicyStatus;
import java.util.Objects;

/**
 * The node's {@link NodePolicyStatus}: created when absent (and again when someone deletes it), owned by the Node,
 * so that the garbage collector removes it with the node. Only its existence and spec are managed here; its status
 * is written by {@link io.nftpolicy.agent.reporting.StatusReporter} through the status subresource, which a
 * dependent resource does not write.
 */
public final class NodePolicyStatusDependent extends CRUDKubernetesDependentResource<NodePolicyStatus, Node> {
    public NodePolicyStatusDependent() {
        super(NodePolicyStatus.class);
    }

    @Override
    protected NodePolicyStatus desired(Node node, Context<Node> context) {
        return NodePolicyStatus.forNode(node.getMetadata().getName());
    }

    /** Status writes (the agent's own, every heartbeat) change neither spec nor owner: they start no reconcile. */
    @Override
    protected InformerEventSourceConfiguration.Builder<NodePolicyStatus> informerConfigurationBuilder(
            EventSourceContext<Node> context) {
        return super.informerConfigurationBuilder(context)
                .withOnUpdateFilter((updated, old) -> !Objects.equals(updated.getSpec(), old.getSpec())
                        || !Objects.equals(updated.getMetadata().getOwnerReferences(),
                        old.getMetadata().getOwnerReferences()));
    }
}
