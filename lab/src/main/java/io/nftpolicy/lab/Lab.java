package io.nftpolicy.lab;

import io.nftpolicy.backend.netns.NetnsException;
import io.nftpolicy.backend.netns.NetnsThread;
import io.nftpolicy.cluster.Protocol;
import io.nftpolicy.net.IpFamily;
import io.nftpolicy.reachability.Endpoint;
import io.nftpolicy.reachability.Reachability;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A small cluster made of network namespaces on this machine, so that compiled rulesets meet a real kernel: pods are
 * namespaces with real addresses and servers, nodes are namespaces with a bridge and a VXLAN link to each other
 * (wired like Flannel, see {@link Topology}), and probes are real TCP connections and UDP datagrams.
 *
 * <p>Needs root, {@code ip} and {@code nft}. Everything it creates is named with a prefix unique to the instance, so
 * labs can run side by side; {@link #close()} (also run by a shutdown hook) removes all of it.
 *
 * <p>Traffic from one pod to another on the same node is bridged (and, with br_netfilter, passes the node's inet
 * forward hook); traffic to a pod on another node is routed by the source node, crosses the VXLAN link, and is
 * routed again by the destination node, so it passes both nodes' forward hooks. Traffic from a node to its own pods
 * leaves through the node's output hook and does not pass forward.
 */
public final class Lab implements AutoCloseable {
    /** How a node is named where a source is expected: {@code node/<nodeName>}. */
    public static final String NODE_SOURCE_PREFIX = "node/";

    private static final String ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Path NETNS_DIR = Path.of("/var/run/netns");

    /** Lets tests interrupt a start between its steps, to prove that a failed start leaves nothing behind. */
    interface StartListener {
        void reached(String step) throws LabException;
    }

    private final Topology topology;
    private final LabOptions options;
    private final Map<String, NetnsThread> threads = new LinkedHashMap<>(); // by namespace name
    private final Map<String, Topology.Pod> pods = new LinkedHashMap<>();
    private final Map<String, Topology.Node> nodes = new LinkedHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Thread shutdownHook;
    private volatile PodServer server;

    private Lab(Topology topology, LabOptions options) {
        this.topology = topology;
        this.options = options;
        topology.pods().forEach(p -> pods.put(p.name(), p));
        topology.nodes().forEach(n -> nodes.put(n.name(), n));
        this.shutdownHook = new Thread(this::close, "lab-cleanup-" + topology.prefix());
    }

    /** Builds nodes and pods with {@link LabOptions#defaults()}. */
    public static Lab start(List<LabPod> pods) throws LabException {
        return start(pods, LabOptions.defaults());
    }

    /**
     * Builds the nodes named by the pods, the pods, and their servers.
     *
     * @throws LabException when the pods do not make a valid lab or a step fails; whatever was created is gone again
     */
    public static Lab start(List<LabPod> pods, LabOptions options) throws LabException {
        return start(pods, options, step -> { });
    }

    static Lab start(List<LabPod> pods, LabOptions options, StartListener listener) throws LabException {
        String prefix = options.prefix() != null ? options.prefix() : freshPrefix();
        List<String> existing = existingNamespaces(prefix);
        if (!existing.isEmpty()) {
            throw new LabException("network namespaces with prefix " + prefix + " exist already: " + existing);
        }
        Lab lab = new Lab(Topology.plan(prefix, pods), options);
        Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
        try {
            lab.build(listener);
            return lab;
        } catch (LabException | RuntimeException | Error e) {
            lab.close();
            throw e;
        }
    }

    /**
     * Replaces the node's whole ruleset with {@code nftScript}: {@code flush ruleset} and the script go to one
     * {@code nft -f -} run in the node's namespace, which the kernel applies as one transaction. So there is no
     * moment without rules, and a script that fails leaves the previous ruleset in force.
     *
     * <p>{@code flush ruleset;} is put on the script's first line, so that line numbers in nft's messages are the
     * script's own. (nft 1.0.6 wants a separator before a closing brace in one-line scripts:
     * {@code table inet t { chain f { ...; drop; }; }}; a multi-line script needs none.)
     *
     * @param node a node name (as in {@link LabPod#node()})
     * @throws LabException with nft's error text when the script is rejected
     */
    public void load(String node, String nftScript) throws LabException {
        ensureOpen();
        Topology.Node target = node(node);
        HostCommand.run("loading a ruleset into node " + node,
                List.of("ip", "netns", "exec", target.netns(), "nft", "-f", "-"),
                "flush ruleset; " + nftScript + "\n");
    }

    /**
     * Runs {@code nftScript} in the node's namespace as one {@code nft -f -} transaction, on top of what is loaded
     * (unlike {@link #load}, nothing is flushed): for small changes to a large loaded ruleset, such as switching
     * tables between active and dormant.
     *
     * @throws LabException with nft's error text when the script is rejected
     */
    public void apply(String node, String nftScript) throws LabException {
        ensureOpen();
        HostCommand.run("applying a script in node " + node,
                List.of("ip", "netns", "exec", node(node).netns(), "nft", "-f", "-"), nftScript + "\n");
    }

    /**
     * Probes from every pod to every pod (itself included, as upstream does) on every endpoint, over each family
     * that both ends have, all at once. Takes about one probe timeout when anything is blocked.
     *
     * <p>SCTP endpoints are left out: this kernel has no SCTP. Pods are probed on every endpoint whether or not
     * they serve it; one they do not serve shows as blocked.
     */
    public Reachability probe(List<Endpoint> endpoints) {
        ensureOpen();
        List<Reachability.Cell> cells = new ArrayList<>();
        List<Prober.Probe> probes = new ArrayList<>();
        for (Endpoint endpoint : new LinkedHashSet<>(endpoints)) {
            if (endpoint.protocol() == Protocol.SCTP) {
                continue;
            }
            for (IpFamily family : IpFamily.values()) {
                for (Topology.Pod from : pods.values()) {
                    for (Topology.Pod to : pods.values()) {
                        if (from.addresses().containsKey(family) && to.addresses().containsKey(family)) {
                            cells.add(new Reachability.Cell(endpoint, family, from.name(), to.name()));
                            probes.add(probe(threads.get(from.netns()), to, endpoint, family));
                        }
                    }
                }
            }
        }
        boolean[] results = Prober.run(probes, options.probeTimeout());
        Map<Reachability.Cell, Boolean> matrix = new LinkedHashMap<>();
        for (int i = 0; i < cells.size(); i++) {
            matrix.put(cells.get(i), results[i]);
        }
        return new Reachability(matrix);
    }

    /**
     * One probe.
     *
     * @param from a pod name, or {@code node/<nodeName>} to probe from the node's own namespace (its source
     *             address is then the gateway of the destination's subnet, or its {@code flannel.1} address for
     *             another node's pod)
     * @throws IllegalArgumentException for an unknown name, an SCTP endpoint, or a family one end lacks
     */
    public boolean connects(String from, String toPod, Endpoint endpoint, IpFamily family) {
        ensureOpen();
        if (endpoint.protocol() == Protocol.SCTP) {
            throw new IllegalArgumentException("cannot probe " + endpoint.label() + ": this kernel has no SCTP");
        }
        Topology.Pod to = pod(toPod);
        Topology.Pod sourcePod = pods.get(from);
        if (sourcePod != null && !sourcePod.addresses().containsKey(family)) {
            throw new IllegalArgumentException(from + " has no " + Reachability.familyLabel(family) + " address");
        }
        if (!to.addresses().containsKey(family)) {
            throw new IllegalArgumentException(toPod + " has no " + Reachability.familyLabel(family) + " address");
        }
        return Prober.run(List.of(probe(thread(from), to, endpoint, family)),
                options.probeTimeout())[0];
    }

    /**
     * Runs {@code task} on a thread inside the namespace of a pod or of {@code node/<nodeName>}: sockets it
     * creates, and tools it starts, live there. Meant for driving libnftables or the agent against a lab node.
     * Tasks for one namespace run one at a time, on the same thread.
     */
    public <T> T callIn(String podOrNode, Callable<T> task) throws Exception {
        ensureOpen();
        return thread(podOrNode).call(task);
    }

    /** The thread inside a pod's or {@code node/<nodeName>}'s namespace. */
    NetnsThread thread(String podOrNode) {
        return threads.get(namespaceOf(podOrNode));
    }

    /** The network namespace name of a pod or of {@code node/<nodeName>}, for {@code ip netns exec}. */
    public String namespaceOf(String podOrNode) {
        Topology.Pod pod = pods.get(podOrNode);
        if (pod != null) {
            return pod.netns();
        }
        if (podOrNode.startsWith(NODE_SOURCE_PREFIX)) {
            return node(podOrNode.substring(NODE_SOURCE_PREFIX.length())).netns();
        }
        throw new IllegalArgumentException("no pod named " + podOrNode + " (nodes are written "
                + NODE_SOURCE_PREFIX + "<name>); pods: " + pods.keySet());
    }

    /** A pod's address of one family; empty when it has none. */
    public Optional<InetAddress> address(String podName, IpFamily family) {
        ensureOpen();
        return Optional.ofNullable(pod(podName).addresses().get(family));
    }

    public List<String> podNames() {
        return List.copyOf(pods.keySet());
    }

    public List<String> nodeNames() {
        return List.copyOf(nodes.keySet());
    }

    /** The prefix of every namespace this lab created. */
    public String prefix() {
        return topology.prefix();
    }

    /** Nodes, subnets, gateways, pods and their namespaces, for people. */
    public String describe() {
        return topology.describe();
    }

    /**
     * Stops servers and namespace threads, then deletes every namespace of this lab, which takes their devices
     * with them. Idempotent; errors are reported on stderr because there is nobody left to handle them.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (server != null) {
            server.close();
        }
        // Threads and sockets pin their namespace: they must be gone before deletion, or devices would linger.
        synchronized (threads) {
            threads.values().forEach(NetnsThread::close);
        }
        StringBuilder batch = new StringBuilder();
        for (String netns : topology.namespaces()) {
            if (Files.exists(NETNS_DIR.resolve(netns))) {
                batch.append("netns del ").append(netns).append('\n');
            }
        }
        if (batch.length() > 0) {
            try {
                HostCommand.run("deleting the lab's namespaces", List.of("ip", "-force", "-batch", "-"),
                        batch.toString());
            } catch (LabException e) {
                System.err.println("nftpolicy lab " + prefix() + ": " + e.getMessage());
            }
        }
        if (Thread.currentThread() != shutdownHook) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down; the hook runs close() again, which returns at once
            }
        }
    }

    private void build(StartListener listener) throws LabException {
        StringBuilder add = new StringBuilder();
        topology.namespaces().forEach(n -> add.append("netns add ").append(n).append('\n'));
        HostCommand.run("creating namespaces", List.of("ip", "-batch", "-"), add.toString());
        listener.reached("namespaces");

        for (String netns : topology.namespaces()) {
            enter(netns);
        }
        configureKernel();
        listener.reached("threads");

        // Order matters: a veth is created from one side with its peer placed in the other namespace, so the
        // switch makes the nodes' eth0 and each node makes its pods' eth0 before they are configured.
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(8, topology.pods().size() + 1), r -> {
            Thread t = new Thread(r, "lab-build-" + prefix());
            t.setDaemon(true);
            return t;
        });
        try {
            if (topology.switchNetns() != null) {
                ip(topology.switchNetns(), topology.switchBatch());
            }
            runAll(pool, topology.nodes().stream().map(n -> (Callable<Void>) () -> {
                ip(n.netns(), topology.nodeBatch(n));
                String fdb = topology.nodeFdbBatch(n);
                if (!fdb.isEmpty()) {
                    HostCommand.run("wiring namespace " + n.netns(), List.of("bridge", "-n", n.netns(), "-batch", "-"),
                            fdb);
                }
                return null;
            }).toList());
            runAll(pool, topology.pods().stream().map(p -> (Callable<Void>) () -> {
                ip(p.netns(), topology.podBatch(p));
                return null;
            }).toList());
        } finally {
            pool.shutdownNow();
        }
        listener.reached("links");

        List<PodServer.Binding> bindings = new ArrayList<>();
        for (Topology.Pod pod : topology.pods()) {
            for (Endpoint endpoint : pod.spec().serves()) {
                if (endpoint.protocol() == Protocol.SCTP) {
                    continue;
                }
                for (InetAddress address : pod.addresses().values()) {
                    bindings.add(new PodServer.Binding(threads.get(pod.netns()), pod.name(),
                            new InetSocketAddress(address, endpoint.port()), endpoint.protocol()));
                }
            }
        }
        server = PodServer.start("lab-server-" + prefix(), bindings);
        listener.reached("servers");
    }

    private void enter(String netns) throws LabException {
        NetnsThread thread;
        try {
            thread = NetnsThread.enter(netns);
        } catch (NetnsException e) {
            throw new LabException(e.getMessage(), e.getCause());
        }
        synchronized (threads) {
            if (closed.get()) { // the shutdown hook ran meanwhile
                thread.close();
                throw new LabException("lab " + prefix() + " was closed while starting");
            }
            threads.put(netns, thread);
        }
    }

    /**
     * Sysctls, written from inside each namespace (a thread's {@code /proc/sys/net} is its namespace's), before
     * any device exists, since new devices copy the {@code default} settings. DAD off so that IPv6 addresses are
     * usable at once instead of seconds later; forwarding on in nodes; bridged traffic through the inet hooks.
     */
    private void configureKernel() throws LabException {
        List<Future<Void>> done = new ArrayList<>();
        for (Topology.Node node : topology.nodes()) {
            done.add(threads.get(node.netns()).submit(() -> {
                disableDad();
                sysctl("net/ipv4/ip_forward", "1");
                sysctl("net/ipv6/conf/all/forwarding", "1");
                sysctl("net/ipv4/conf/all/rp_filter", "0");
                sysctl("net/ipv4/conf/default/rp_filter", "0");
                for (String family : List.of("iptables", "ip6tables")) {
                    Path bridgeHook = Path.of("/proc/sys/net/bridge/bridge-nf-call-" + family);
                    if (Files.exists(bridgeHook)) {
                        Files.writeString(bridgeHook, "1");
                    }
                }
                return null;
            }));
        }
        for (Topology.Pod pod : topology.pods()) {
            done.add(threads.get(pod.netns()).submit(() -> {
                disableDad();
                return null;
            }));
        }
        if (topology.switchNetns() != null) {
            done.add(threads.get(topology.switchNetns()).submit(() -> {
                disableDad();
                return null;
            }));
        }
        for (Future<Void> step : done) {
            await(step, "configuring sysctls");
        }
    }

    private static void disableDad() throws IOException {
        sysctl("net/ipv6/conf/all/accept_dad", "0");
        sysctl("net/ipv6/conf/default/accept_dad", "0");
    }

    private static void sysctl(String key, String value) throws IOException {
        Files.writeString(Path.of("/proc/sys").resolve(key), value);
    }

    private static void ip(String netns, String batch) throws LabException {
        HostCommand.run("wiring namespace " + netns, List.of("ip", "-n", netns, "-batch", "-"), batch);
    }

    private static void runAll(ExecutorService pool, List<Callable<Void>> steps) throws LabException {
        List<Future<Void>> futures = new ArrayList<>();
        steps.forEach(step -> futures.add(pool.submit(step)));
        LabException failure = null;
        for (Future<Void> future : futures) {
            try {
                await(future, "wiring");
            } catch (LabException e) {
                failure = failure != null ? failure : e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void await(Future<Void> future, String what) throws LabException {
        try {
            future.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof LabException le) {
                throw le;
            }
            throw new LabException(what + ": " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new LabException(what + ": interrupted", e);
        }
    }

    private Prober.Probe probe(NetnsThread source, Topology.Pod to, Endpoint endpoint, IpFamily family) {
        return new Prober.Probe(source, new InetSocketAddress(to.addresses().get(family), endpoint.port()),
                endpoint.protocol(), to.name());
    }

    private Topology.Pod pod(String name) {
        Topology.Pod pod = pods.get(name);
        if (pod == null) {
            throw new IllegalArgumentException("no pod named " + name + "; pods: " + pods.keySet());
        }
        return pod;
    }

    private Topology.Node node(String name) {
        Topology.Node node = nodes.get(name);
        if (node == null) {
            throw new IllegalArgumentException("no node named " + name + "; nodes: " + nodes.keySet());
        }
        return node;
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("lab " + prefix() + " is closed");
        }
    }

    /** {@code np} and five random characters, not yet used by any namespace. */
    static String freshPrefix() throws LabException {
        for (int attempt = 0; attempt < 20; attempt++) {
            StringBuilder prefix = new StringBuilder("np");
            for (int i = 0; i < 5; i++) {
                prefix.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
            }
            if (existingNamespaces(prefix.toString()).isEmpty()) {
                return prefix.toString();
            }
        }
        throw new LabException("no unused namespace prefix found in " + NETNS_DIR);
    }

    /** Namespaces named {@code <prefix>-...}: a lab's, or a crashed lab's leftovers. */
    static List<String> existingNamespaces(String prefix) throws LabException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(NETNS_DIR)) {
            return names;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(NETNS_DIR, prefix + "-*")) {
            entries.forEach(e -> names.add(e.getFileName().toString()));
        } catch (IOException e) {
            throw new LabException("cannot list " + NETNS_DIR + ": " + e.getMessage(), e);
        }
        return names;
    }
}
