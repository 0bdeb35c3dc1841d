package io.nftpolicy.agent.reporting;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether same-node pod traffic meets nftables. Two pods on one node's bridge talk through the bridge, at layer 2:
 * nftables' inet forward chain sees those frames only when br_netfilter is loaded and the bridge's
 * {@code bridge-nf-call-iptables} (IPv4) and {@code bridge-nf-call-ip6tables} (IPv6) sysctls are 1. Otherwise the
 * node's rules are bypassed between its own pods, whatever the status says of the ruleset: DataplaneReady=False,
 * with a log line when it turns false and {@code nftpolicy_dataplane_ready} 0.
 */
public final class BridgeNetfilter {
    public static final Path PROC_SYS_NET_BRIDGE = Path.of("/proc/sys/net/bridge");
    public static final String IPTABLES = "bridge-nf-call-iptables";
    public static final String IP6TABLES = "bridge-nf-call-ip6tables";
    public static final String REASON_ON = "BridgeNetfilterOn";
    public static final String REASON_MISSING = "BrNetfilterMissing";
    public static final String REASON_DISABLED = "BridgeNfCallDisabled";
    private static final Logger LOG = LoggerFactory.getLogger(BridgeNetfilter.class);

    /** What the sysctls say: DataplaneReady's status, reason and message. */
    public record Verdict(boolean ready, String reason, String message) {}

    private final Path dir;
    /** 1 ready, 0 not, -1 not checked yet. */
    private final AtomicInteger ready = new AtomicInteger(-1);

    /** @param dir where the bridge's sysctls are ({@link #PROC_SYS_NET_BRIDGE}) */
    public BridgeNetfilter(Path dir, MeterRegistry registry) {
        this.dir = Objects.requireNonNull(dir, "dir");
        Gauge.builder("nftpolicy_dataplane_ready", ready, AtomicInteger::get)
                .description("1 when bridged same-node traffic passes through nftables (br_netfilter loaded, "
                        + "bridge-nf-call-iptables and -ip6tables 1), 0 when it bypasses the rules")
                .register(registry);
    }

    /** Reads the sysctls now; logs when the verdict changes. */
    public Verdict check() {
        Verdict v = read();
        int now = v.ready() ? 1 : 0;
        int before = ready.getAndSet(now);
        if (before != now) {
            if (v.ready()) {
                LOG.info("dataplane ready: {}", v.message());
            } else {
                LOG.warn("dataplane not ready ({}): {}", v.reason(), v.message());
            }
        }
        return v;
    }

    private Verdict read() {
        List<String> off = new ArrayList<>();
        for (String name : List.of(IPTABLES, IP6TABLES)) {
            Path file = dir.resolve(name);
            try {
                if (Files.readString(file).strip().equals("0")) {
                    off.add(name);
                }
            } catch (NoSuchFileException e) {
                return new Verdict(false, REASON_MISSING, "br_netfilter is not loaded (no " + file
                        + "): traffic between pods of this node bypasses the rules; modprobe br_netfilter");
            } catch (IOException e) {
                return new Verdict(false, REASON_MISSING, "cannot read " + file + ": " + e.getMessage());
            }
        }
        if (!off.isEmpty()) {
            return new Verdict(false, REASON_DISABLED, String.join(" and ", off) + " 0 in " + dir
                    + ": traffic between pods of this node bypasses the rules; sysctl -w net.bridge."
                    + off.get(0) + "=1");
        }
        return new Verdict(true, REASON_ON, "br_netfilter loaded, " + IPTABLES + " and " + IP6TABLES + " 1");
    }
}
