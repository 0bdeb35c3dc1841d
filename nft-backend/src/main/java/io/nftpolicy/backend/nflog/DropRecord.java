package io.nftpolicy.backend.nflog;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * One connection attempt a node dropped because policy isolates a pod, or (where accepts are logged) one that an
 * allow rule accepted, as the log reports it: one JSON line.
 *
 * @param verdict     drop, or accept
 * @param direction   ingress (the destination is the isolated pod) or egress (the source is)
 * @param pod         the isolated pod, namespace/name; null when the address is no known pod's
 * @param protocol    TCP, UDP, SCTP, ICMP, ICMPv6, or the protocol's number
 * @param port        the destination port; null for protocols without ports
 * @param isolatedBy  the policies that isolate the pod in that direction (namespace/name); for drops
 * @param allowedBy   the policy rules and peers of the rule that accepted it; for accepts
 * @param chain       the group chain that dropped or accepted it
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"time", "node", "verdict", "direction", "source", "destination", "protocol", "port", "pod",
        "isolatedBy", "allowedBy", "chain"})
public record DropRecord(Instant time, String node, String verdict, String direction, Endpoint source,
                         Endpoint destination, String protocol, Integer port, String pod, List<String> isolatedBy,
                         List<String> allowedBy, String chain) {
    public DropRecord {
        Objects.requireNonNull(time, "time");
        isolatedBy = isolatedBy == null ? null : List.copyOf(isolatedBy);
        allowedBy = allowedBy == null ? null : List.copyOf(allowedBy);
    }

    /** An address, and the pod (namespace/name) that has it, when one does. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Endpoint(String ip, String pod) {}

    /** One line for people: {@code TIME NODE DIRECTION VERDICT PROTO SRC (POD) -> DST:PORT (POD) isolated by P1}. */
    public String toText() {
        List<String> why = allowedBy != null ? allowedBy : isolatedBy;
        return time + " " + node + " " + direction + " " + verdict + " " + protocol + " " + text(source, null) + " -> "
                + text(destination, port) + " " + (why == null || why.isEmpty()
                ? "(chain " + chain + " not in the snapshot)"
                : (allowedBy != null ? "allowed by " : "isolated by ") + String.join(", ", why));
    }

    private static String text(Endpoint e, Integer port) {
        String address = e.ip().indexOf(':') >= 0 && port != null ? "[" + e.ip() + "]" : e.ip();
        return address + (port == null ? "" : ":" + port) + (e.pod() == null ? "" : " (" + e.pod() + ")");
    }
}
