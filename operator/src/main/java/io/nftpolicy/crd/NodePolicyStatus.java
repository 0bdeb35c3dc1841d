package io.nftpolicy.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * One node's enforcement status: {@code kubectl get nodepolicystatuses} (short name {@code nps}).
 *
 * <p>Cluster-scoped: fabric8 gives a custom resource cluster scope unless its class implements
 * {@link io.fabric8.kubernetes.api.model.Namespaced}, which this one does not. The object is named after its
 * node; the agent of that node is its only writer (spec when it creates the object, the status subresource
 * afterwards).
 */
@Group(NodePolicyStatus.GROUP)
@Version(NodePolicyStatus.VERSION)
@Kind(NodePolicyStatus.KIND)
@Plural(NodePolicyStatus.PLURAL)
@Singular("nodepolicystatus")
@ShortNames("nps")
// The columns of kubectl get nps, in this order: fabric8's generator sorts them by JSON path, and the CRD generation
// in the tests (CrdGoldenFileTest) puts them back in the order written here.
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Policies", type = AdditionalPrinterColumn.Type.INTEGER,
        jsonPath = ".status.counts.policies")
@AdditionalPrinterColumn(name = "Local Pods", type = AdditionalPrinterColumn.Type.INTEGER,
        jsonPath = ".status.counts.localPods")
@AdditionalPrinterColumn(name = "Hash", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.appliedRulesetHash")
@AdditionalPrinterColumn(name = "Heartbeat", type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".status.heartbeatTime")
@AdditionalPrinterColumn(name = "Dataplane", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"DataplaneReady\")].status")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".metadata.creationTimestamp")
public class NodePolicyStatus extends CustomResource<NodePolicyStatusSpec, NodeSyncStatus> {
    public static final String GROUP = "nftpolicy.io";
    public static final String VERSION = "v1alpha1";
    public static final String KIND = "NodePolicyStatus";
    public static final String PLURAL = "nodepolicystatuses";
    /** The CRD's name, {@code nodepolicystatuses.nftpolicy.io}. */
    public static final String CRD_NAME = PLURAL + "." + GROUP;

    /** The resource of one node, named after it, with no status yet. */
    public static NodePolicyStatus forNode(String nodeName) {
        NodePolicyStatus resource = new NodePolicyStatus();
        resource.setMetadata(new ObjectMetaBuilder().withName(nodeName).build());
        resource.setSpec(new NodePolicyStatusSpec(nodeName));
        return resource;
    }
}
