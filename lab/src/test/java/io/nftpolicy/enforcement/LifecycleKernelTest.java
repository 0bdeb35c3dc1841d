package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.testing.Clusters.pod;
import static io.nftpolicy.testing.Policies.all;
import static io.nftpolicy.testing.Policies.ingress;
import static io.nftpolicy.testing.Policies.ipBlock;
import static io.nftpolicy.testing.Policies.labels;
import static io.nftpolicy.testing.Policies.map;
import static io.nftpolicy.testing.Policies.namespaces;
import static io.nftpolicy.testing.Policies.peers;
import static io.nftpolicy.testing.Policies.podsInNamespaces;
import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.cluster.Pod;
import io.nftpolicy.cluster.PodPhase;
import io.nftpolicy.lab.LabException;
import io.nftpolicy.policy.NetworkPolicy;
import io.nftpolicy.reachability.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * Changes between steps: policies updated, pods and namespaces relabelled, pods finishing, terminating, appearing,
 * hostNetwork pods; semantics.md "Lifecycle" and the hostNetwork line of "Isolation". Only the snapshot changes:
 * the lab pods keep running with their addresses, which is exactly the situation of an address whose pod is gone.
 */
class LifecycleKernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);
    private static final Endpoint UDP80 = Endpoint.udp(80);

    /** x/a accepts pods labelled pod=c from every namespace. */
    private static NetworkPolicy xaFromEveryC() {
        return ingress("x/a-from-c", labels("pod=a"), peers(podsInNamespaces(labels("pod=c"), all())));
    }

    private static Pod with(Pod p, PodPhase phase, boolean terminating, boolean hostNetwork) {
        return new Pod(p.namespace(), p.name(), p.labels(), p.nodeName(), hostNetwork, phase, terminating, p.ips(),
                p.ports());
    }

    @Test
    void updatingAPolicyChangesTheMatrixAndDeletingItRestoresConnectivity() throws LabException {
        lab.enforce(ingress("x/a-allow", labels("pod=a"), peers(namespaces(labels("ns=y")))));
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/*"));

        lab.enforce(ingress("x/a-allow", labels("pod=a"), peers(namespaces(labels("ns=z")))));
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "z/*"));

        lab.enforce();
        lab.check(expect(TCP80));
    }

    @Test
    void relabellingAPeerPodMakesItLoseOrGainAccess() throws LabException {
        NetworkPolicy fromEveryB = ingress("x/a-from-b", labels("pod=a"), peers(podsInNamespaces(labels("pod=b"), all())));
        lab.enforce(fromEveryB);
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "*/b"));

        lab.relabelPod("y/b", map("pod=bb"));
        lab.relabelPod("z/c", map("pod=b"));
        lab.enforce(fromEveryB);
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "x/b", "z/b", "z/c"));
    }

    @Test
    void relabellingASubjectPodMakesThePolicySelectItOrNot() throws LabException {
        NetworkPolicy isolateA = ingress("x/isolate-a", labels("pod=a"));
        lab.enforce(isolateA);
        lab.check(expect(TCP80).denyTo("x/a"));

        lab.relabelPod("x/a", map("pod=other"));
        lab.relabelPod("x/b", map("pod=a"));
        lab.enforce(isolateA);
        lab.check(expect(TCP80).denyTo("x/b"));
    }

    @Test
    void relabellingANamespaceMakesItsPodsLoseOrGainAccess() throws LabException {
        NetworkPolicy fromY = ingress("x/a-from-y", labels("pod=a"), peers(namespaces(labels("ns=y"))));
        lab.enforce(fromY);
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "y/*"));

        lab.relabelNamespace("y", map("ns=why"));
        lab.relabelNamespace("z", map("ns=y"));
        lab.enforce(fromY);
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "z/*"));
    }

    @Test
    void finishedPodsLeaveEveryPeerSetThoughTheirAddressesStillSendTraffic() throws LabException {
        lab.enforce(xaFromEveryC());
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "*/c"));

        lab.updatePod("y/c", p -> with(p, PodPhase.SUCCEEDED, false, false));
        lab.updatePod("z/c", p -> with(p, PodPhase.FAILED, false, false));
        lab.enforce(xaFromEveryC());
        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "x/c"), expect(UDP80).denyTo("x/a").allowTo("x/a", "x/c"));
    }

    @Test
    void aTerminatingPodKeepsItsAllowedTrafficAsAPeer() throws LabException {
        lab.updatePod("x/c", p -> with(p, PodPhase.RUNNING, true, false));
        lab.enforce(xaFromEveryC());

        lab.check(expect(TCP80).denyTo("x/a").allowTo("x/a", "*/c"));
    }

    @Test
    void aTerminatingPodUnderADenyAllStaysUnreachable() throws LabException {
        lab.updatePod("y/b", p -> with(p, PodPhase.RUNNING, true, false));
        lab.enforce(ingress("y/deny-all", all()));

        lab.check(expect(TCP80).denyTo("y/*"), expect(UDP80).denyTo("y/*"));
    }

    @Test
    void aNewPodReusingAFinishedPodsAddressIsJudgedByItsOwnLabels() throws LabException {
        // y/c has finished; its address 10.244.2.3 now belongs to y/d (pod=d). The lab pod behind the address
        // is the same one: to policy it is y/d now. No "address of two pods" diagnostic either.
        lab.updatePod("y/c", p -> with(p, PodPhase.SUCCEEDED, false, false));
        lab.addPod(pod("y/d").on(UpstreamModel.NODE2).ips("10.244.2.3").labels("pod=d").ports(UpstreamModel.UPSTREAM_PORTS).build());
        lab.enforce(xaFromEveryC(),
                ingress("x/b-from-d", labels("pod=b"), peers(podsInNamespaces(labels("pod=d"), all()))));

        lab.check(expect(TCP80)
                .denyTo("x/a").allowTo("x/a", "x/c", "z/c")
                .denyTo("x/b").allowTo("x/b", "y/c"));
    }

    @Test
    void aNewPodIsIsolatedAsSoonAsItIsKnownWhilePendingBeforeItRuns() throws LabException {
        NetworkPolicy isolateZ = ingress("z/deny-ingress", all());
        lab.removePod("z/c"); // not created yet: nobody knows its address
        lab.enforce(isolateZ);
        lab.check(expect(TCP80).denyTo("z/a", "z/b"));

        lab.addPod(with(UpstreamModel.standard().pods().stream().filter(p -> p.ref().equals("z/c")).findFirst()
                .orElseThrow(), PodPhase.PENDING, false, false));
        lab.enforce(isolateZ);
        lab.check(expect(TCP80).denyTo("z/*"));
    }

    @Test
    void hostNetworkPodsAreNeitherSubjectsNorSelectorPeers() throws LabException {
        // y/c flagged hostNetwork in the snapshot (the lab pod keeps its pod address, so the effect is visible)
        lab.updatePod("y/c", p -> with(p, PodPhase.RUNNING, false, true));
        lab.enforce(ingress("y/deny-ingress", all()),
                ingress("x/a-from-y", labels("pod=a"), peers(namespaces(labels("ns=y")))));

        lab.check(expect(TCP80)
                .denyTo("y/a", "y/b")                          // y/c is not a subject: not isolated
                .denyTo("x/a").allowTo("x/a", "y/a", "y/b"));  // nor a peer of "all pods of y"
    }

    @Test
    void hostNetworkPodTrafficIsNodeTrafficThatAnIpBlockCanAllow() throws LabException {
        // A hostNetwork pod on node-2 has the node's address; towards x/a on node-1 the node sends from flannel.1.
        String node2 = lab.overlayAddress(UpstreamModel.NODE2);
        lab.addPod(pod("y/h").on(UpstreamModel.NODE2).hostNetwork().ips(node2).labels("pod=h").build());

        lab.enforce(ingress("x/a-from-h", labels("pod=a"), peers(podsInNamespaces(labels("pod=h"), labels("ns=y")))));
        assertThat(lab.connects("node/node-2", "x/a", TCP80)).as("selector peers ignore hostNetwork pods\n%s",
                lab.state()).isFalse();

        lab.enforce(ingress("x/a-from-node-2", labels("pod=a"), peers(ipBlock(node2 + "/32"))));
        assertThat(lab.connects("node/node-2", "x/a", TCP80)).as("ipBlock of the node address\n%s", lab.state())
                .isTrue();
    }

    @Test
    void withKeptEstablishedFlowsExistingConnectionsSurviveAPolicyThatDeniesNewOnes() throws Exception {
        // --keep-established (this lab compiles without EstablishedFlows): "ct state established,related accept"
        // comes first, so a connection accepted before a policy change lives on until it ends. New connections are
        // judged anew. By default they are cut: EstablishedFlowsKernelTest.
        InetSocketAddress yc = new InetSocketAddress("10.244.2.3", 9000);
        try (ServerSocket server = lab.lab().callIn("y/c", () -> {
                    ServerSocket s = new ServerSocket();
                    s.bind(yc);
                    s.setSoTimeout(2000);
                    return s;
                });
             Socket client = connect("x/a", yc, 2000);
             Socket accepted = server.accept()) {
            accepted.setSoTimeout(2000);
            assertThat(roundTrip(client, accepted, 1)).isTrue();

            lab.enforce(ingress("y/deny-ingress", all()));
            assertThat(roundTrip(client, accepted, 2)).as("the established connection still carries data").isTrue();
            assertThat(roundTrip(accepted, client, 3)).as("both ways").isTrue();
            assertThat(lab.connects("x/a", "y/c", TCP80)).as("a new connection is denied").isFalse();
            try (Socket late = connect("x/a", yc, (int) PolicyLab.PROBE_TIMEOUT.toMillis())) {
                assertThat(late).as("a new connection to the same port is denied").isNull();
            }
        }
    }

    /** A connected socket from inside a pod, or null when the connection is not accepted in time. */
    private Socket connect(String pod, InetSocketAddress to, int timeoutMillis) throws Exception {
        return lab.lab().callIn(pod, () -> {
            Socket s = new Socket();
            try {
                s.connect(to, timeoutMillis);
                s.setSoTimeout(2000);
                return s;
            } catch (IOException e) {
                s.close();
                return null;
            }
        });
    }

    private static boolean roundTrip(Socket from, Socket to, int value) throws IOException {
        from.getOutputStream().write(value);
        from.getOutputStream().flush();
        InputStream in = to.getInputStream();
        try {
            return in.read() == value;
        } catch (IOException e) {
            return false;
        }
    }
}
