package io.nftpolicy.backend.nflog;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One connection attempt a node dropped because policy isolates a pod, as the drop log reports it: one JSON line.
 *
 * @param direction   ingress (the destination is isolated) or egress (the source is)
 * @param pod         the isolated pod, namespace/name; null when the address is no known pod's
 * @param protocol    TCP, UDP, SCTP, ICMP, ICMPv6, or the protocol's number
 * @param port        the destination port; null for protocols without ports
 * @param isolatedBy  the policies that isolate the pod in that direction (namespace/name)
 * @param chain       the group chain that dropped it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"time", "node", "direction", "source", "destination", "protocol", "port", "pod", "isolatedBy",
        "chain"})
public record DropRecord(Instant time, String node, String direction, Endpoint source, Endpoint destination,
                         String protocol, Integer port, String pod, List<String> isolatedBy, String chain) {
    public DropRecord {
        Objects.requireNonNull(time, "time");
        isolatedBy = List.copyOf(isolatedBy);
    }

    /** An address, and the pod (namespace/name) that has it, when one does. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Endpoint(String ip, String pod) {}

    /** One line for people: {@code TIME NODE DIRECTION PROTO SRC (POD) -> DST:PORT (POD) isolated by P1, P2}. */
    public String toText() {
        return time + " " + node + " " + direction + " drop " + protocol + " " + text(source, null) + " -> "
                + text(destination, port) + " " + (isolatedBy.isEmpty() ? "(chain " + chain + " not in the snapshot)"
                : "isolated by " + String.join(", ", isolatedBy));
    }

    private static String text(Endpoint e, Integer port) {
        String address = e.ip().indexOf(':') >= 0 && port != null ? "[" + e.ip() + "]" : e.ip();
        return address + (port == null ? "" : ":" + port) + (e.pod() == null ? "" : " (" + e.pod() + ")");
    }
}
