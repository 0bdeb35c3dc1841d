package io.nftpolicy.apiserver;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What kube-apiserver has spent and sent at one moment: its CPU time (/proc), the bytes sent on each of its
 * established client connections (the kernel's count, {@code ss -ti}), and the bytes of LIST responses its own
 * /metrics counts.
 *
 * <p>Bytes are counted at the socket because its watch-event metrics are not per watcher: kube-apiserver encodes an
 * event once per encoding and hands the same bytes to every watcher of it.
 */
record ApiServerMetrics(Map<String, Long> sentPerConnection, double listBytes, double cpuSeconds) {
    private static final Pattern CONNECTION = Pattern.compile("(\\S+)\\s+(\\S+)\\s*$");
    private static final Pattern BYTES_SENT = Pattern.compile("bytes_sent:(\\d+)");

    static ApiServerMetrics read(ControlPlane cluster) {
        String text = cluster.kubectl("get", "--raw", "/metrics");
        return new ApiServerMetrics(sentPerConnection(cluster.apiAddress().getPort()),
                sum(text, "apiserver_response_sizes_sum", "verb=\"LIST\""),
                ProcessCpu.seconds(ProcessCpu.componentPid(cluster, "kube-apiserver")));
    }

    /** What was spent and sent since {@code earlier}: connections opened since count in full. */
    Delta since(ApiServerMetrics earlier) {
        long sent = 0;
        for (var connection : sentPerConnection.entrySet()) {
            sent += connection.getValue() - earlier.sentPerConnection.getOrDefault(connection.getKey(), 0L);
        }
        return new Delta(sent, listBytes - earlier.listBytes, cpuSeconds - earlier.cpuSeconds);
    }

    /**
     * Bytes sent since {@code earlier} on the connections to {@code peers} that are still open: a lower bound, since
     * what a connection closed meanwhile (a list's, idle) sent is gone with it.
     */
    long sentTo(java.util.Set<String> peers, ApiServerMetrics earlier) {
        return peers.stream().filter(sentPerConnection::containsKey).mapToLong(p -> sentPerConnection.get(p)
                - earlier.sentPerConnection.getOrDefault(p, 0L)).sum();
    }

    record Delta(double sentBytes, double listBytes, double cpuSeconds) {
        Delta minus(Delta other) {
            return new Delta(sentBytes - other.sentBytes, listBytes - other.listBytes, cpuSeconds - other.cpuSeconds);
        }

        Delta mean(Delta other) {
            return new Delta((sentBytes + other.sentBytes) / 2, (listBytes + other.listBytes) / 2,
                    (cpuSeconds + other.cpuSeconds) / 2);
        }
    }

    /** Bytes sent so far on each established connection of the API server's port, keyed by its peer address. */
    private static Map<String, Long> sentPerConnection(int port) {
        CommandResult ss = Commands.run(List.of("ss", "-tinH", "state", "established", "( sport = :" + port + " )"),
                Map.of(), java.time.Duration.ofSeconds(30));
        Map<String, Long> sent = new HashMap<>();
        String peer = null;
        for (String line : ss.stdout().split("\n")) {
            Matcher bytes = BYTES_SENT.matcher(line);
            if (bytes.find() && peer != null) {
                sent.put(peer, Long.parseLong(bytes.group(1)));
                peer = null;
            } else {
                Matcher connection = CONNECTION.matcher(line);
                if (!line.startsWith("\t") && !line.startsWith(" ") && connection.find()) {
                    peer = connection.group(2);
                }
            }
        }
        return sent;
    }

    /** The sum over every series of {@code name} whose labels contain {@code labelFilter}. */
    private static double sum(String text, String name, String labelFilter) {
        Matcher m = Pattern.compile("(?m)^" + name + "(\\{[^}]*})?\\s+(\\S+)$").matcher(text);
        double total = 0;
        while (m.find()) {
            if (m.group(1) == null ? labelFilter.isEmpty() : m.group(1).contains(labelFilter)) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }
}
