package io.nftpolicy.bench.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.nftpolicy.lab.Lab;
import io.nftpolicy.lab.LabOptions;
import io.nftpolicy.lab.LabPod;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The stand-in for the release's queue rules queues exactly the connections of the set's pods: with nobody reading
 * queue 100 (no bypass, as the release without --fail-open), what is queued is dropped, what is not connects.
 */
@KernelTest
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PeerQueueSetKernelTest {
    private static final String NODE = "node-0";
    private static final Endpoint TCP_80 = Endpoint.tcp(80);

    private Lab lab;

    @BeforeAll
    void start() throws Exception {
        lab = Lab.start(List.of(new LabPod("ns/server", NODE, List.of("10.64.0.2"), List.of(TCP_80)),
                        new LabPod("ns/selected", NODE, List.of("10.64.0.3"), List.of()),
                        new LabPod("ns/unselected", NODE, List.of("10.64.0.4"), List.of())),
                LabOptions.defaults().withProbeTimeout(Duration.ofMillis(300)));
        lab.apply(NODE, new PeerQueueSet(Set.of(IpAddress.parse("10.64.0.3")), Set.of()).script());
        iptables("-A");
    }

    @AfterAll
    void stop() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void whileTheTableIsDormantNothingIsQueued() throws Exception {
        lab.apply(NODE, "add table inet " + PeerQueueSet.TABLE + " { flags dormant; }");

        assertThat(connects("ns/selected")).isTrue();
        assertThat(connects("ns/unselected")).isTrue();
    }

    @Test
    void awakeItQueuesTheNewConnectionsOfTheSetsPodsAlone() throws Exception {
        lab.apply(NODE, "add table inet " + PeerQueueSet.TABLE);
        try {
            assertThat(connects("ns/selected")).isFalse();
            assertThat(connects("ns/unselected")).isTrue();
        } finally {
            lab.apply(NODE, "add table inet " + PeerQueueSet.TABLE + " { flags dormant; }");
        }
    }

    private boolean connects(String from) {
        return lab.connects(from, "ns/server", TCP_80, IpFamily.IPV4);
    }

    /** The rule PeerAgent adds with QueueScope.marked(PeerQueueSet.MARK). */
    private void iptables(String verb) throws Exception {
        String bits = PeerQueueSet.hex();
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + NODE),
                "iptables", "-t", "mangle", verb, "POSTROUTING", "-m", "mark", "--mark", bits + "/" + bits, "-j",
                "NFQUEUE", "--queue-num", "100"));
        Process process = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException("iptables " + verb + ": " + output);
        }
    }
}
