package io.nftpolicy.agent.drops;

import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.netns.NetnsThread;
import io.nftpolicy.backend.nflog.DropLogReader;
import io.nftpolicy.backend.nflog.NflogSocket;
import io.nftpolicy.backend.nflog.Suppressed;
import io.nftpolicy.cluster.ClusterSnapshot;
import io.nftpolicy.compile.DropAttribution;
import io.nftpolicy.ruleset.Ruleset;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the node's NFLOG group on a thread of its own and writes each dropped connection attempt as one JSON line
 * to logger {@value #LOGGER}, attributed by the ruleset last compiled ({@link #compiled}); once a minute, how many
 * were not logged (over the rate limit, or lost). Started on the first ruleset that logs drops, so an agent whose
 * table logs nothing holds no NFLOG group. A group another reader holds is reported once, and not retried.
 */
public final class DropLogWriter implements AutoCloseable {
    public static final String LOGGER = "io.nftpolicy.drops";
    private static final Logger LOG = LoggerFactory.getLogger(DropLogWriter.class);
    private static final Logger DROPS = LoggerFactory.getLogger(LOGGER);
    private static final Duration REPORT_INTERVAL = Duration.ofMinutes(1);

    private record Model(Ruleset ruleset, ClusterSnapshot snapshot) {}

    private final String node;
    private final String netns; // null: the agent's own
    private final int group;
    private final Clock clock;
    private final AtomicReference<Model> model = new AtomicReference<>();
    private volatile Thread thread;
    private volatile boolean closed;

    /** @param netns the namespace of the table, null for the agent's own */
    public DropLogWriter(String node, String netns, int group, Clock clock) {
        this.node = node;
        this.netns = netns;
        this.group = group;
        this.clock = clock;
    }

    /** The ruleset compiled for {@code snapshot}; starts reading when it is the first that logs drops. */
    public void compiled(Ruleset ruleset, ClusterSnapshot snapshot) {
        model.set(new Model(ruleset, snapshot));
        if (thread == null && !closed && DropLogReader.logsAnything(ruleset)) {
            synchronized (this) {
                if (thread == null) {
                    thread = new Thread(this::run, "drop-log-" + group);
                    thread.setDaemon(true);
                    thread.start();
                }
            }
        }
    }

    private void run() {
        String where = netns == null ? "the agent's network namespace" : "network namespace " + netns;
        try (NetnsThread ns = netns == null ? NetnsThread.inCurrentNamespace("nflog-" + group) : NetnsThread.enter(netns);
             NflogSocket socket = NflogSocket.open(ns, group, where);
             Nftables nft = netns == null ? Nftables.open() : Nftables.openInNamespace(netns)) {
            LOG.info("node {}: writing drop logs of NFLOG group {} to logger {}", node, group, LOGGER);
            DropLogReader reader = new DropLogReader(node, clock);
            Model attributedBy = null;
            DropAttribution attribution = null;
            long overLimit = overLimit(nft);
            long lost = 0;
            Instant nextReport = clock.instant().plus(REPORT_INTERVAL);
            while (!closed) {
                var packets = socket.receive(Duration.ofSeconds(1));
                if (!packets.isEmpty()) {
                    Model m = model.get();
                    if (m != attributedBy) {
                        attribution = DropAttribution.of(m.ruleset(), m.snapshot()); // once per ruleset that logs
                        attributedBy = m;
                    }
                    reader.records(packets, attribution).forEach(r -> DROPS.info(DropLogReader.json(r)));
                }
                if (clock.instant().isAfter(nextReport)) {
                    long now = overLimit(nft);
                    Suppressed s = new Suppressed(clock.instant(), node, now - overLimit, socket.lost() - lost);
                    if (s.suppressed() > 0 || s.lost() > 0) {
                        DROPS.info(DropLogReader.json(s));
                    }
                    overLimit = now;
                    lost = socket.lost();
                    nextReport = clock.instant().plus(REPORT_INTERVAL);
                }
            }
        } catch (Exception e) {
            if (!closed) {
                LOG.warn("node {}: drop logs are not written: {}", node, e.getMessage());
            }
        }
    }

    private long overLimit(Nftables nft) {
        try {
            return DropLogReader.overLimit(nft, Ruleset.TABLE, DropLogReader.logChains(nft, Ruleset.TABLE));
        } catch (Exception e) {
            LOG.debug("drop log counters not read: {}", e.toString());
            return 0;
        }
    }

    /** Stops reading within a second; the group is free again when the socket closes. */
    @Override
    public void close() {
        closed = true;
        Thread t = thread;
        if (t != null) {
            try {
                t.join(3000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
