package io.nftpolicy.backend.nflog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nftpolicy.backend.libnftables.Nftables;
import io.nftpolicy.backend.libnftables.NftablesException;
import io.nftpolicy.compile.DropAttribution;
import io.nftpolicy.compile.DropLogs;
import io.nftpolicy.net.IpAddress;
import io.nftpolicy.policy.PolicyType;
import io.nftpolicy.ruleset.Ruleset;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;

/**
 * Turns the packets of nftpolicy's drop log ({@link DropLogs}) into one {@link DropRecord} per connection attempt:
 * a TCP client resends its SYN, a UDP client its datagram, each a new packet that the chain drops and logs again
 * (a dropped packet leaves no conntrack entry). The same addresses, protocol and ports within
 * {@link #RETRY_WINDOW} are one attempt. Packets whose prefix is not nftpolicy's are left out.
 *
 * <p>Not thread-safe: one reader thread.
 */
public final class DropLogReader {
    /** Longer than Linux's default SYN retries (about two minutes with tcp_syn_retries 6). */
    static final Duration RETRY_WINDOW = Duration.ofMinutes(2);
    private static final int MAX_REMEMBERED = 4096;
    private static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    private final String node;
    private final Clock clock;
    /** Attempts seen, oldest first, with when they were first seen. */
    private final LinkedHashMap<PacketHeaders, Instant> seen = new LinkedHashMap<>();

    public DropLogReader(String node, Clock clock) {
        this.node = node;
        this.clock = clock;
    }

    /** The records of these packets that are new connection attempts, attributed by the ruleset in force. */
    public List<DropRecord> records(List<NflogPacket> packets, DropAttribution attribution) {
        List<DropRecord> out = new ArrayList<>();
        for (NflogPacket packet : packets) {
            boolean drop = packet.prefix().startsWith(DropLogs.PREFIX);
            if (!drop && !packet.prefix().startsWith(DropLogs.ACCEPT_PREFIX)) {
                continue;
            }
            Optional<PacketHeaders> decoded = PacketHeaders.decode(packet.payload());
            if (decoded.isEmpty()) {
                continue;
            }
            Instant now = packet.time().orElseGet(clock::instant);
            PacketHeaders headers = decoded.get();
            if (!firstOfAttempt(headers, now)) {
                continue;
            }
            out.add(drop ? record(now, packet.prefix(), headers, attribution)
                    : accepted(now, packet.prefix(), headers, attribution));
        }
        return out;
    }

    private boolean firstOfAttempt(PacketHeaders headers, Instant now) {
        for (Iterator<Instant> it = seen.values().iterator(); it.hasNext(); ) {
            Instant first = it.next();
            if (seen.size() <= MAX_REMEMBERED && !first.plus(RETRY_WINDOW).isBefore(now)) {
                break;
            }
            it.remove();
        }
        return seen.putIfAbsent(headers, now) == null;
    }

    private DropRecord record(Instant time, String prefix, PacketHeaders h, DropAttribution attribution) {
        Optional<DropAttribution.Isolation> isolation = attribution.isolation(prefix);
        // Without the chain in the snapshot's ruleset (the table is newer or older), the prefix still says which way.
        boolean ingress = isolation.map(i -> i.direction() == PolicyType.INGRESS)
                .orElse(prefix.substring(DropLogs.PREFIX.length()).startsWith("ing-"));
        IpAddress isolated = ingress ? h.destination() : h.source();
        return new DropRecord(time, node, "drop", ingress ? "ingress" : "egress", endpoint(h.source(), attribution),
                endpoint(h.destination(), attribution), h.protocolName(),
                h.destinationPort().isPresent() ? h.destinationPort().getAsInt() : null,
                attribution.pod(isolated).orElse(null), isolation.map(DropAttribution.Isolation::policies).orElse(List.of()),
                null, isolation.map(DropAttribution.Isolation::chain).orElse(prefix.substring(DropLogs.PREFIX.length())));
    }

    /** An accepted connection's first packet, with the rule that accepted it ({@code nftpolicy accept ID INDEX}). */
    private DropRecord accepted(Instant time, String prefix, PacketHeaders h, DropAttribution attribution) {
        String rest = prefix.substring(DropLogs.ACCEPT_PREFIX.length());
        Optional<DropAttribution.Allowance> allowance = attribution.allowance(prefix);
        boolean ingress = allowance.map(a -> a.direction() == PolicyType.INGRESS).orElse(rest.startsWith("ing-"));
        IpAddress subject = ingress ? h.destination() : h.source();
        return new DropRecord(time, node, "accept", ingress ? "ingress" : "egress", endpoint(h.source(), attribution),
                endpoint(h.destination(), attribution), h.protocolName(),
                h.destinationPort().isPresent() ? h.destinationPort().getAsInt() : null,
                attribution.pod(subject).orElse(null), null,
                allowance.map(DropAttribution.Allowance::rules).orElse(List.of()),
                allowance.map(DropAttribution.Allowance::chain).orElse(rest));
    }

    private static DropRecord.Endpoint endpoint(IpAddress address, DropAttribution attribution) {
        return new DropRecord.Endpoint(address.toString(), attribution.pod(address).orElse(null));
    }

    /** Whether a ruleset logs anything, drops or accepts: then the group has something to read. */
    public static boolean logsAnything(Ruleset ruleset) {
        return ruleset.chains().stream().anyMatch(c -> c.name().startsWith(DropLogs.LOG_CHAIN_PREFIX)
                || c.name().startsWith(DropLogs.ACCEPT_CHAIN_PREFIX));
    }

    /** The drop log chains of a ruleset: where the over-limit counters of drops are. */
    public static List<String> logChains(Ruleset ruleset) {
        return ruleset.chains().stream().map(c -> c.name()).filter(n -> n.startsWith(DropLogs.LOG_CHAIN_PREFIX)).toList();
    }

    /** The log chains the kernel's table has now, by name. */
    public static List<String> logChains(Nftables nft, String table) throws NftablesException {
        List<String> names = new ArrayList<>();
        for (JsonNode item : parse(nft.runJson("list chains inet")).path("nftables")) {
            JsonNode chain = item.path("chain");
            String name = chain.path("name").asText("");
            if (chain.path("table").asText("").equals(table) && name.startsWith(DropLogs.LOG_CHAIN_PREFIX)) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * The packets the log chains counted over their rate limit, summed; a chain the table does not have counts 0.
     *
     * @throws NftablesException the table cannot be read
     */
    public static long overLimit(Nftables nft, String table, Collection<String> chains) throws NftablesException {
        long total = 0;
        for (String chain : chains) {
            String listing;
            try {
                listing = nft.runJson("list chain inet " + table + " " + chain);
            } catch (NftablesException e) {
                if (e.isNoSuchObject()) {
                    continue;
                }
                throw e;
            }
            total += counted(listing);
        }
        return total;
    }

    /** The packets counted by the counters of a JSON listing's rules. */
    static long counted(String listing) {
        long total = 0;
        for (JsonNode item : parse(listing).path("nftables")) {
            for (JsonNode expression : item.path("rule").path("expr")) {
                total += expression.path("counter").path("packets").asLong(0);
            }
        }
        return total;
    }

    private static JsonNode parse(String listing) {
        try {
            return JSON.readTree(listing);
        } catch (IOException e) {
            throw new UncheckedIOException("libnftables listed JSON that does not parse", e);
        }
    }

    /** As JSON lines write it. */
    public static String json(Object record) {
        try {
            return JSON.writeValueAsString(record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
