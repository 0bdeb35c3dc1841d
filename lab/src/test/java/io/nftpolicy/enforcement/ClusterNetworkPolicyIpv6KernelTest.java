package io.nftpolicy.enforcement;

import static io.nftpolicy.enforcement.Expect.expect;
import static io.nftpolicy.enforcement.Tiers.admin;
import static io.nftpolicy.enforcement.Tiers.deny;
import static io.nftpolicy.enforcement.Tiers.fromNamespace;
import static io.nftpolicy.enforcement.Tiers.namespaceSubject;
import static io.nftpolicy.net.IpFamily.IPV4;
import static io.nftpolicy.net.IpFamily.IPV6;

import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.lab.LabException;
import io.nftpolicy.policy.ClusterNetworkPolicy.Peer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** ClusterNetworkPolicy over both families, on the dual-stack upstream model (x/a fd00:10:244:1::2, ...). */
class ClusterNetworkPolicyIpv6KernelTest extends PolicyLabTest {
    private static final Endpoint TCP80 = Endpoint.tcp(80);

    @Override
    UpstreamModel model() {
        return UpstreamModel.dualStack();
    }

    @Test
    void networksPeersMatchEachFamilyByItsOwnRanges() throws LabException {
        lab.enforceTiers(List.of(admin("no-nets", 10, namespaceSubject("y"), List.of(), List.of(deny(List.of(
                Peer.networks(List.of("10.244.1.2/32", "fd00:10:244:1::3/128"))))))), List.of());

        lab.check(expect(TCP80).over(IPV4).deny("y/*", "x/a"), expect(TCP80).over(IPV6).deny("y/*", "x/b"));
    }

    @Test
    void selectorPeersHoldOverBothFamilies() throws LabException {
        lab.enforceTiers(List.of(admin("no-y-into-x", 10, namespaceSubject("x"), List.of(deny(fromNamespace("y"))),
                List.of())), List.of());

        lab.check(expect(TCP80).over(IPV4, IPV6).deny("y/*", "x/*"));
    }
}
