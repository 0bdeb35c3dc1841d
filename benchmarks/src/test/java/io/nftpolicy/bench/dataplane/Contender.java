package io.nftpolicy.bench.dataplane;

import io.nftpolicy.apiserver.AgentProcess;
import io.nftpolicy.apiserver.ControlPlane;
import io.nftpolicy.apiserver.Deployment;
import io.nftpolicy.apiserver.PeerAgent;
import io.nftpolicy.apiserver.ProcessCpu;
import io.nftpolicy.lab.Lab;
import io.nftpolicy.ruleset.Ruleset;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of the two agents of {@code bin/bench peer}, one instance per lab node, started for a phase of a round and
 * stopped after it, so that only one agent enforces at a time on the same pods. Within its phase it is switched
 * on and off against (a) without a restart: its tables are made dormant (a dormant table's hooks are unregistered)
 * and (a)'s woken, and back, in one nft transaction per node; its processes run throughout.
 */
abstract class Contender implements AutoCloseable {
    /** The (a) table of the data-plane bench, loaded into every node for the whole run. */
    static final String STATEFUL = Layout.STATEFUL.table;

    final String name;
    final Map<String, Long> pids = new LinkedHashMap<>();
    final Lab lab;
    private final List<String> tables;
    private final List<AutoCloseable> instances = new ArrayList<>();

    Contender(String name, Lab lab, List<String> tables) {
        this.name = name;
        this.lab = lab;
        this.tables = List.copyOf(tables);
    }

    /** Its tables active, (a)'s dormant, in every node. */
    void enforce() throws Exception {
        StringBuilder script = new StringBuilder("add table inet " + STATEFUL + " { flags dormant; }\n");
        tables.forEach(t -> script.append("add table ").append(t).append('\n'));
        apply(script.toString());
    }

    /** (a) alone: its tables dormant, (a)'s woken. Its processes keep running, as under {@link #enforce}. */
    void pause() throws Exception {
        StringBuilder script = new StringBuilder();
        tables.forEach(t -> script.append("add table ").append(t).append(" { flags dormant; }\n"));
        script.append("add table inet " + STATEFUL + "\n");
        apply(script.toString());
    }

    /**
     * Whether every one of its tables is still dormant in every node: nftpolicy's drift check (every 10 s) takes a
     * dormant table for drift and wakes it, so an (a) slice it overlapped is measured again.
     */
    boolean stillPaused() throws Exception {
        for (String node : lab.nodeNames()) {
            for (String table : tables) {
                List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec",
                        lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + node), "nft", "-t", "list", "table"));
                argv.addAll(List.of(table.split(" ")));
                Process list = new ProcessBuilder(argv).redirectErrorStream(true).start();
                String output = new String(list.getInputStream().readAllBytes());
                list.waitFor();
                if (!output.contains("flags dormant")) {
                    return false;
                }
            }
        }
        return true;
    }

    private void apply(String script) throws Exception {
        for (String node : lab.nodeNames()) {
            lab.apply(node, script);
        }
    }

    double cpuSeconds(String node) {
        return ProcessCpu.seconds(pids.get(node));
    }

    /** Resident memory now and at its peak, from /proc/PID/status, in bytes. */
    long[] rssAndPeak(String node) throws IOException {
        long rss = 0;
        long peak = 0;
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pids.get(node)), "status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = kilobytes(line) * 1024;
            } else if (line.startsWith("VmHWM:")) {
                peak = kilobytes(line) * 1024;
            }
        }
        return new long[] {rss, peak};
    }

    private static long kilobytes(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    /** One instance on one node: what stops it, and its process id. */
    record Instance(AutoCloseable process, long pid) {}

    /** Starts one instance on a node and returns once it is ready. */
    interface Starter {
        Instance start(String node) throws Exception;
    }

    /** An instance per node, one after the other; if one fails, those started are stopped again. */
    void startEach(Starter starter) throws Exception {
        try {
            for (String node : lab.nodeNames()) {
                Instance instance = starter.start(node);
                instances.add(instance.process());
                pids.put(node, instance.pid());
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** Stops every instance, then {@link #afterStop}. */
    @Override
    public void close() throws Exception {
        for (AutoCloseable instance : instances) {
            instance.close();
        }
        afterStop();
    }

    /** What stopping leaves in the nodes, removed. */
    void afterStop() throws Exception {}

    /** nftpolicy: {@code nftpolicy run} as its own JVM per node, with the image's JVM options unless told others. */
    static final class Nftpolicy extends Contender {
        Nftpolicy(ControlPlane cluster, Lab lab, Path jar, List<String> jvmOptions) throws Exception {
            super("nftpolicy", lab, List.of("inet " + Ruleset.TABLE));
            startEach(node -> {
                AgentProcess agent = AgentProcess.start(jvmOptions, jar,
                        Deployment.agentKubeconfig(cluster, "bench-peer-" + node), node,
                        lab.namespaceOf(Lab.NODE_SOURCE_PREFIX + node),
                        cluster.runDir().resolve("bench-nftpolicy-" + node + ".log"));
                Instance instance = new Instance(agent, agent.pid());
                try {
                    agent.awaitReady(Duration.ofMinutes(10));
                } catch (Exception | Error e) {
                    agent.close();
                    throw e;
                }
                return instance;
            });
        }

        /** The agents leave their tables when stopped: removed. */
        @Override
        void afterStop() {
            for (String node : lab.nodeNames()) {
                try {
                    lab.apply(node, "delete table inet " + Ruleset.TABLE);
                } catch (io.nftpolicy.lab.LabException absent) {
                    // never made, or gone already
                }
            }
        }
    }

    /**
     * kube-network-policies per node ({@link PeerAgent}); on this kernel its queue rules stand as the node's
     * {@link PeerQueueSet} table marking and one xtables rule queueing what is marked.
     */
    static final class Peer extends Contender {
        private final Map<String, PeerAgent> byNode = new LinkedHashMap<>();

        /**
         * Its attempts to sync its nftables table on a node so far, and how many the kernel refused: on a kernel
         * without the queue statement all of them, each retried up to 5 times (its workqueue), so its CPU under
         * churn includes syncs a kernel with the statement would not repeat.
         */
        long[] syncs(String node) {
            PeerAgent agent = byNode.get(node);
            return new long[] {agent.logLines("Syncing nftables rules"), agent.logLines("\"syncing nftables rules\"")};
        }

        Peer(ControlPlane cluster, Lab lab, Path binary) throws Exception {
            super("kube-network-policies", lab, List.of("inet " + PeerQueueSet.TABLE, "ip mangle"));
            startEach(node -> {
                // --v=0: its install.yaml's --v=2 logs two lines per queued packet, which would cost it rate.
                PeerAgent agent = PeerAgent.start(cluster, lab, node, binary,
                        PeerAgent.QueueScope.marked(PeerQueueSet.MARK), 0);
                byNode.put(node, agent);
                return new Instance(agent, agent.pid());
            });
        }
    }
}
