package io.nftpolicy.apiserver;

import io.nftpolicy.agent.CuttableProxy;
import io.nftpolicy.deploy.Repository;
import io.nftpolicy.lab.Lab;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * kube-network-policies (kubernetes-sigs, built by {@code bin/peer build}) enforcing on one lab node: started with
 * {@code ip netns exec <node namespace>}, so its nftables table and its NFQUEUE socket are the node's, as a
 * DaemonSet pod with host networking would have them on a real node.
 *
 * <p>The release reads its credentials only in-cluster ({@code rest.InClusterConfig}: KUBERNETES_SERVICE_HOST/PORT
 * and the files under /var/run/secrets/kubernetes.io/serviceaccount). So its process gets a tmpfs over /run in the
 * private mount namespace that {@code ip netns exec} makes (slave to the host's: nothing leaks out), holding its
 * ServiceAccount's token and the cluster's CA; and a proxy listening on the node namespace's loopback brings it to
 * the API server on the host's loopback.
 */
public final class PeerAgent implements AutoCloseable {
    static final String SERVICE_ACCOUNT = "kube-network-policies";
    static final String NAMESPACE = "kube-system";
    private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(40);
    private static final String SECRETS = "/run/secrets/kubernetes.io/serviceaccount";

    /**
     * Which new connections the xtables NFQUEUE rule sends to the peer (see {@link #start}), as iptables match
     * arguments.
     *
     * @param match the arguments before {@code -j NFQUEUE}
     */
    public record QueueScope(List<String> match) {
        /** Every packet not of an established or related connection: for tests whose policies change which pods
         * the release's own set would hold (the set is not in the kernel here to follow). */
        public static final QueueScope EVERY_NEW_CONNECTION = new QueueScope(List.of("-m", "conntrack", "!",
                "--ctstate", "ESTABLISHED,RELATED"));

        public QueueScope {
            match = List.copyOf(match);
        }

        /**
         * Packets carrying {@code mark}: the caller's nftables chain marks what the release's own rules would queue
         * (its pod address sets), before xtables' mangle postrouting sees it.
         */
        public static QueueScope marked(int mark) {
            String bits = "0x" + Integer.toHexString(mark);
            return new QueueScope(List.of("-m", "mark", "--mark", bits + "/" + bits));
        }
    }

    private final String netns;
    private final QueueScope scope;
    /** Whether iptables made the node's {@code ip mangle} table for the queue rule (then closing removes it). */
    private boolean madeMangleTable;
    private final CuttableProxy proxy;
    private final Process process;
    private final Path log;

    private PeerAgent(String netns, QueueScope scope, CuttableProxy proxy, Process process, Path log) {
        this.netns = netns;
        this.scope = scope;
        this.proxy = proxy;
        this.process = process;
        this.log = log;
    }

    /** The binary's path, built on first use (many minutes on 2 cores). */
    public static Path binary() {
        CommandResult build = Commands.run(List.of(Repository.path("bin/peer").toString(), "build"), java.util.Map.of(),
                BUILD_TIMEOUT);
        if (build.exitCode() != 0) {
            throw new IllegalStateException("bin/peer build failed (exit " + build.exitCode() + "):\n" + build.stderr());
        }
        return Path.of(build.stdout().strip());
    }

    /** Its ServiceAccount, with the read access its release's install.yaml grants (pods, namespaces, policies). */
    public static void applyRbac(ControlPlane cluster) throws IOException {
        Path file = Files.createTempFile("nftpolicy-peer-rbac", ".yaml");
        try {
            Files.writeString(file, """
                    apiVersion: v1
                    kind: ServiceAccount
                    metadata: {name: %1$s, namespace: %2$s}
                    ---
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: ClusterRole
                    metadata: {name: %1$s}
                    rules:
                      - apiGroups: [""]
                        resources: [pods, namespaces]
                        verbs: [list, watch]
                      - apiGroups: [networking.k8s.io]
                        resources: [networkpolicies]
                        verbs: [list, watch]
                    ---
                    apiVersion: rbac.authorization.k8s.io/v1
                    kind: ClusterRoleBinding
                    metadata: {name: %1$s}
                    roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %1$s}
                    subjects: [{kind: ServiceAccount, name: %1$s, namespace: %2$s}]
                    """.formatted(SERVICE_ACCOUNT, NAMESPACE));
            cluster.kubectl("apply", "-f", file.toString());
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Starts it on {@code node} and returns once it has synced its informers and its queue rule is in place. */
    public static PeerAgent start(ControlPlane cluster, Lab lab, String node, Path binary) throws Exception {
        return start(cluster, lab, node, binary, QueueScope.EVERY_NEW_CONNECTION, 2);
    }

    /**
     * Starts it on {@code node}; on a kernel without the nftables queue statement, {@code scope} says which new
     * connections the xtables rule that stands in for the release's queue rules sends it.
     *
     * @param verbosity its klog {@code --v}: its install.yaml's 2 logs two lines per queued packet, 0 none
     */
    public static PeerAgent start(ControlPlane cluster, Lab lab, String node, Path binary, QueueScope scope,
                                  int verbosity) throws Exception {
        Path secrets = cluster.runDir().resolve("peer-" + node);
        Files.createDirectories(secrets);
        Files.writeString(secrets.resolve("token"), cluster.kubectl("create", "token", SERVICE_ACCOUNT, "-n",
                NAMESPACE, "--duration=2h").strip());
        Files.copy(cluster.runDir().resolve("pki/ca.crt"), secrets.resolve("ca.crt"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        String nodeRef = Lab.NODE_SOURCE_PREFIX + node;
        ServerSocket listening = lab.callIn(nodeRef, () -> new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
        CuttableProxy proxy = new CuttableProxy(listening, "127.0.0.1", cluster.apiAddress().getPort());
        Path log = cluster.runDir().resolve("peer-" + node + ".log");
        String netns = lab.namespaceOf(nodeRef);
        ProcessBuilder builder = new ProcessBuilder("ip", "netns", "exec", netns, "sh", "-c",
                "mount -t tmpfs nftpolicy-peer /run && mkdir -p " + SECRETS + " && cp \"$0\"/token \"$0\"/ca.crt "
                        + SECRETS + " && exec \"$@\"",
                secrets.toString(), binary.toString(), "--hostname-override=" + node, "--disable-nri",
                "--metrics-bind-address=127.0.0.1:9080", "--v=" + verbosity)
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().put("KUBERNETES_SERVICE_HOST", "127.0.0.1");
        builder.environment().put("KUBERNETES_SERVICE_PORT", Integer.toString(listening.getLocalPort()));
        Process process = builder.start();
        PeerAgent peer = new PeerAgent(netns, scope, proxy, process, log);
        try {
            peer.awaitSynced(netns);
            if (!kernelHasNftQueue(netns)) {
                peer.queueWithXtables();
            }
            return peer;
        } catch (Exception | Error e) {
            peer.close();
            throw e;
        }
    }

    /**
     * Until its informers have synced (its log says so). Not its nftables table: on a kernel without the queue
     * statement the table may or may not be left behind by a failed sync.
     */
    private void awaitSynced(String netns) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("kube-network-policies exited " + process.exitValue() + ":\n"
                        + logTail());
            }
            if (Files.readString(log).contains("Caches are synced for kube-network-policies")) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("kube-network-policies did not sync its informers in 90 s; its sockets:\n"
                + Commands.run(List.of("ip", "netns", "exec", netns, "ss", "-tanp"), java.util.Map.of(),
                        Duration.ofSeconds(30)).stdout() + "\nits log:\n" + logTail());
    }

    /**
     * Whether nftables' own {@code queue} statement loads here. Kernels built without CONFIG_NFT_QUEUE (this
     * machine's 6.18) refuse it with ENOENT, and then every sync of the release's ruleset fails: its table stays
     * empty and it enforces nothing, while its NFQUEUE listener runs on.
     */
    private static boolean kernelHasNftQueue(String netns) {
        CommandResult probe = Commands.run(List.of("ip", "netns", "exec", netns, "nft", "-c", "-f",
                Repository.path("operator/src/test/resources/peer/queue-probe.nft").toString()),
                java.util.Map.of(), Duration.ofSeconds(30));
        return probe.exitCode() == 0;
    }

    /**
     * The release's queue rule (postrouting, no bypass: fail closed) through xtables' NFQUEUE target instead, which
     * this kernel has, for the connections {@link #scope} names. With {@link QueueScope#EVERY_NEW_CONNECTION} it
     * queues the new connections of every pod where the release queues only those of pods in its policy sets: the
     * verdicts are the same, its userspace accepts what no policy selects, but it costs those connections the round
     * trip too.
     */
    private void queueWithXtables() {
        madeMangleTable = !nft("list", "table", "ip", "mangle").succeeded();
        CommandResult rule = iptables("-A");
        if (rule.exitCode() != 0) {
            throw new IllegalStateException("this kernel has no nftables queue statement, and the xtables NFQUEUE rule "
                    + "failed too (is iptables installed?): " + rule.stderr());
        }
    }

    private CommandResult iptables(String verb) {
        List<String> argv = new java.util.ArrayList<>(List.of("ip", "netns", "exec", netns, "iptables", "-t", "mangle",
                verb, "POSTROUTING"));
        argv.addAll(scope.match());
        argv.addAll(List.of("-j", "NFQUEUE", "--queue-num", "100"));
        return Commands.run(argv, java.util.Map.of(), Duration.ofSeconds(30));
    }

    private CommandResult nft(String... args) {
        List<String> argv = new java.util.ArrayList<>(List.of("ip", "netns", "exec", netns, "nft"));
        argv.addAll(List.of(args));
        return Commands.run(argv, java.util.Map.of(), Duration.ofSeconds(30));
    }

    /** Its process id: {@code ip netns exec} and the shell exec into the binary, so it is the peer's own. */
    public long pid() {
        return process.pid();
    }

    public double cpuSeconds() {
        return ProcessCpu.seconds(process.pid());
    }

    /** Lines of its log so far that contain {@code text}. */
    public long logLines(String text) {
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(text)).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops it (by its pid) and removes what it and {@link #start} put into the node (its table, the queue rule, the
     * mangle table if the rule made it), so that the node enforces nothing after it and other tables stay.
     */
    @Override
    public void close() throws Exception {
        try {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        } finally {
            proxy.close();
            iptables("-D");
            if (madeMangleTable) {
                nft("delete", "table", "ip", "mangle");
            }
            nft("delete", "table", "inet", "kube-network-policies");
        }
    }
}
