package io.nftpolicy.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.testing.KernelTest;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The connection-rate loop the benchmarks use, and the dormant-table switch the data-plane benchmark relies on: a
 * table that drops all forwarded traffic is loaded dormant (connections flow), then woken with {@link Lab#apply}
 * (they all fail). Needs root (skipped otherwise).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@KernelTest
class ConnectionRateKernelTest {
    private static final String NODE = "node-1";
    private static final Endpoint HTTP = Endpoint.tcp(80);
    private static final String DROP_ALL = "table inet blocker { flags dormant; chain forward-drop {"
            + " type filter hook forward priority 0; policy drop; }; }";

    private Lab lab;

    @BeforeAll
    void startLab() throws Exception {
        lab = Lab.start(List.of(new LabPod("t/client", NODE, List.of("10.244.1.2"), List.of()),
                new LabPod("t/server", NODE, List.of("10.244.1.3"), List.of(HTTP))));
    }

    @AfterAll
    void closeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    @Test
    void countsCompletedConnectionsWhileTheDropTableIsDormantAndOnlyFailuresOnceItIsWoken() throws Exception {
        lab.load(NODE, DROP_ALL);
        ConnectionRate open = ConnectionRate.measure(lab, "t/client", "t/server", HTTP, IpFamily.IPV4,
                Duration.ofMillis(500));

        lab.apply(NODE, "add table inet blocker");
        ConnectionRate blocked = ConnectionRate.measure(lab, "t/client", "t/server", HTTP, IpFamily.IPV4,
                Duration.ofMillis(1200));

        assertThat(open.connections()).isGreaterThan(50);
        assertThat(open.failures()).isZero();
        assertThat(open.perSecond()).isGreaterThan(100);
        assertThat(blocked.connections()).isZero();
        assertThat(blocked.failures()).isPositive();
    }

    @Test
    void slicesAddUpToOneMeasurement() {
        ConnectionRate sum = new ConnectionRate(300, 0, 100_000_000L).plus(new ConnectionRate(500, 1, 300_000_000L));

        assertThat(sum).isEqualTo(new ConnectionRate(800, 1, 400_000_000L));
        assertThat(sum.perSecond()).isEqualTo(2000.0);
    }

    @Test
    void refusesAUdpEndpoint() {
        assertThatThrownBy(() -> ConnectionRate.measure(lab, "t/client", "t/server", Endpoint.udp(53), IpFamily.IPV4,
                Duration.ofMillis(10))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TCP");
    }
}
