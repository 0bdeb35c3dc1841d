package io.nftpolicy.agent.controller;

import io.fabric8.kubernetes.api.model.Node;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependent;
import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.nftpolicy.crd.NodePolicyStatus;
import java.util.Objects;

/**
 * The node's {@link NodePolicyStatus}: created when absent (and again when someone deletes it), owned by the Node,
 * so that the garbage collector removes it with the node. Only its existence and spec are managed here; its status
 * is written by {@link io.nftpolicy.agent.reporting.StatusReporter} through the status subresource, which a
 * dependent resource does not write.
 */
@KubernetesDependent(informer = @Informer(onUpdateFilter = NodePolicyStatusDependent.SpecOrOwnerChanged.class))
public final class NodePolicyStatusDependent extends CRUDKubernetesDependentResource<NodePolicyStatus, Node> {
    public NodePolicyStatusDependent() {
        super(NodePolicyStatus.class);
    }

    @Override
    protected NodePolicyStatus desired(Node node, Context<Node> context) {
        return NodePolicyStatus.forNode(node.getMetadata().getName());
    }

    /**
     * Status writes (the agent's own, every heartbeat, and peers marking a stale node) change neither spec nor
     * owner: they start no reconcile. (Set through the annotation: JOSDK 5.2.3 copies the annotation's filters over
     * any set on the builder, {@code InformerEventSourceConfiguration.Builder.updateFrom}.)
     */
    public static final class SpecOrOwnerChanged implements OnUpdateFilter<NodePolicyStatus> {
        @Override
        public boolean accept(NodePolicyStatus updated, NodePolicyStatus old) {
            return !Objects.equals(updated.getSpec(), old.getSpec())
                    || !Objects.equals(updated.getMetadata().getOwnerReferences(), old.getMetadata().getOwnerReferences());
        }
    }
}
