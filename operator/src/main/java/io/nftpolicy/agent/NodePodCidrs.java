package io.nftpolicy.agent;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nftpolicy.net.Cidr;
import io.nftpolicy.net.IpRange;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's pod CIDRs from its Node object (spec.podCIDRs, else spec.podCIDR), for fail-closed mode. Needs {@code get}
 * on nodes. The node controller assigns them shortly after the node registers, so an agent started first waits.
 */
final class NodePodCidrs {
    private static final Logger LOG = LoggerFactory.getLogger(NodePodCidrs.class);
    private static final Duration POLL = Duration.ofSeconds(1);

    private NodePodCidrs() {}

    /**
     * @throws TimeoutException         when the Node has no pod CIDR (or cannot be read) within {@code timeout}
     * @throws IllegalArgumentException when a pod CIDR of the Node is not a CIDR
     */
    static List<IpRange> await(KubernetesClient client, String node, Duration timeout)
            throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String problem;
        do {
            try {
                Node object = client.nodes().withName(node).get();
                if (object == null) {
                    problem = "no Node named " + node;
                } else {
                    List<String> cidrs = object.getSpec() == null ? List.of() : cidrsOf(object.getSpec());
                    if (!cidrs.isEmpty()) {
                        return parse(node, cidrs);
                    }
                    problem = "Node " + node + " has no spec.podCIDRs yet";
                }
            } catch (KubernetesClientException e) {
                problem = "cannot read Node " + node + ": " + e.getMessage();
            }
            LOG.info("fail-closed mode: {}; waiting", problem);
            Thread.sleep(POLL.toMillis());
        } while (System.nanoTime() - deadline < 0);
        throw new TimeoutException("fail-closed mode: " + problem + " after " + timeout.toSeconds()
                + " s (give --pod-cidr, or check the agent's RBAC: get on nodes)");
    }

    private static List<String> cidrsOf(io.fabric8.kubernetes.api.model.NodeSpec spec) {
        if (spec.getPodCIDRs() != null && !spec.getPodCIDRs().isEmpty()) {
            return spec.getPodCIDRs();
        }
        return spec.getPodCIDR() == null || spec.getPodCIDR().isBlank() ? List.of() : List.of(spec.getPodCIDR());
    }

    static List<IpRange> parse(String node, List<String> cidrs) {
        List<IpRange> out = new ArrayList<>();
        for (int i = 0; i < cidrs.size(); i++) {
            try {
                out.add(Cidr.parse(cidrs.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Node " + node + ": spec.podCIDRs[" + i + "]: " + e.getMessage(), e);
            }
        }
        return out;
    }
}
