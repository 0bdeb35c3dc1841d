package io.nftpolicy.backend.sync;

import static io.nftpolicy.testing.Clusters.cluster;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.ipBlock;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.pods;
import static io.nftpolicy.testing.Policies.policy;
import static io.nftpolicy.testing.Policies.rule;
import static io.nftpolicy.testing.Policies.tcp;

import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.compile.PolicyCompiler;
import io.nftpolicy.generate.ClusterGenerator;
import io.nftpolicy.ruleset.Ruleset;
import io.nftpolicy.testing.PodFixture;
import java.util.List;

/** The clusters of the sync specifications, compiled for {@link #NODE}: the README's demo and generated clusters. */
final class TestClusters {
    static final String NODE = "node-1";
    private static final PolicyCompiler COMPILER = new PolicyCompiler();

    private TestClusters() {}

    static Ruleset compile(ClusterSnapshot snapshot, String node) {
        return COMPILER.compile(snapshot, node).ruleset();
    }

    static Ruleset compile(ClusterSnapshot snapshot) {
        return compile(snapshot, NODE);
    }

    /**
     * samples/demo/cluster.yaml, as objects (the YAML reader lives in the operator module): dev/db isolated for
     * ingress and egress by dev/test-network-policy, on node-1 with dev/frontend and other/client.
     */
    static ClusterSnapshot demo() {
        return cluster().namespace("dev").namespace("myproject", "project=myproject").namespaces("other", "external", "legacy")
                .pod(demoPod("dev/db", "node-1", "10.244.1.10", "role=db"))
                .pod(demoPod("dev/frontend", "node-1", "10.244.1.11", "role=frontend"))
                .pod(demoPod("dev/backend", "node-2", "10.244.2.12", "role=backend"))
                .pod(demoPod("myproject/client", "node-2", "10.244.2.20", "app=client"))
                .pod(demoPod("other/client", "node-1", "10.244.1.21", "app=client"))
                .pod(demoPod("external/in-range", "node-2", "172.17.0.5", "app=outside"))
                .pod(demoPod("external/excepted", "node-2", "172.17.1.5", "app=outside"))
                .pod(demoPod("legacy/backup", "node-2", "10.0.0.5", "app=backup"))
                .policy(policy("dev/test-network-policy", labels("role=db"), List.of("Ingress", "Egress"),
                        List.of(rule(List.of(ipBlock("172.17.0.0/16", "172.17.1.0/24"),
                                        namespaces(labels("project=myproject")), pods(labels("role=frontend"))),
                                List.of(tcp(6379)))),
                        List.of(rule(List.of(ipBlock("10.0.0.0/24")), List.of(tcp(5978))))))
                .snapshot();
    }

    /** Every pod of the demo declares the same two unnamed ports. */
    private static PodFixture demoPod(String ref, String node, String ip, String labels) {
        return pod(ref).on(node).ips(ip).labels(labels).port("", 6379, Protocol.TCP).port("", 5978, Protocol.TCP);
    }

    /** A generated cluster: 6 namespaces of 12 pods on 3 nodes, 5 policies per namespace. */
    static ClusterSnapshot generated(long seed) {
        return ClusterGenerator.generate(new ClusterGenerator.Size(6, 12, 3, 5, seed));
    }
}
