package io.nftpolicy.agent.reporting;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BridgeNetfilterTest {
    @TempDir
    Path dir;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private BridgeNetfilter.Verdict check(String iptables, String ip6tables) throws Exception {
        Files.writeString(dir.resolve(BridgeNetfilter.IPTABLES), iptables + "\n");
        Files.writeString(dir.resolve(BridgeNetfilter.IP6TABLES), ip6tables + "\n");
        return new BridgeNetfilter(dir, registry).check();
    }

    private double gauge() {
        return registry.get("nftpolicy_dataplane_ready").gauge().value();
    }

    @Test
    void bothSysctlsOnIsReady() throws Exception {
        assertThat(check("1", "1").ready()).isTrue();
        assertThat(gauge()).isEqualTo(1.0);
    }

    @Test
    void iptablesOffIsNotReadyAndNamesTheSysctl() throws Exception {
        BridgeNetfilter.Verdict v = check("0", "1");
        assertThat(v.ready()).isFalse();
        assertThat(v.reason()).isEqualTo(BridgeNetfilter.REASON_DISABLED);
        assertThat(v.message()).contains("bridge-nf-call-iptables 0").doesNotContain("ip6tables 0");
        assertThat(gauge()).isEqualTo(0.0);
    }

    @Test
    void ip6tablesOffIsNotReady() throws Exception {
        assertThat(check("1", "0").message()).contains("bridge-nf-call-ip6tables 0");
    }

    @Test
    void noBridgeSysctlsMeansBrNetfilterIsNotLoaded() {
        BridgeNetfilter.Verdict v = new BridgeNetfilter(dir.resolve("absent"), registry).check();
        assertThat(v.ready()).isFalse();
        assertThat(v.reason()).isEqualTo(BridgeNetfilter.REASON_MISSING);
        assertThat(v.message()).contains("br_netfilter");
    }
}
