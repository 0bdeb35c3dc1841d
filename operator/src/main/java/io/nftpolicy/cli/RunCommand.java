package io.nftpolicy.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import com.google.common.net.HostAndPort;
import io.nftpolicy.agent.Agent;
import io.nftpolicy.agent.sync.SyncLoop;
import io.nftpolicy.backend.sync.ApplyException;
import io.nftpolicy.backend.sync.LibnftablesExecutor;
import io.nftpolicy.backend.sync.NftExecutor;
import io.nftpolicy.net.IpRange;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code nftpolicy run}: the per-node agent ({@link Agent}). Runs until SIGTERM (or Ctrl-C), then stops watching
 * and syncing and leaves the node's table in the kernel, where it keeps being enforced until the next agent
 * takes over.
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        description = {"Run the per-node agent: watch namespaces, pods and NetworkPolicies, and keep this node's "
                + "nftables table (inet nftpolicy) equal to the compiled policies.",
                "Kubernetes access: in-cluster service account, or KUBECONFIG / ~/.kube/config. Needs NET_ADMIN. "
                        + "Serves /metrics, /healthz and /readyz. Stops on SIGTERM, leaving the rules in place."})
final class RunCommand implements Callable<Integer> {
    /**
     * How long the process waits on SIGTERM for the agent to stop (last sync, status write): the DaemonSet's
     * terminationGracePeriodSeconds must exceed it.
     */
    static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(40);
    static final String DEFAULT_METRICS_BIND_ADDRESS = ":9402";

    /** What the agent needs from the outside world, replaceable in tests. */
    interface Environment {
        KubernetesClient client();

        /** An executor on the current network namespace, or on {@code netns} when not null. */
        NftExecutor executor(String netns) throws ApplyException;

        /** Returns when the agent should stop (SIGTERM). */
        void awaitStop() throws InterruptedException;

        /** The agent has stopped; the process may exit. */
        void stopped();

        static Environment system() {
            return new Environment() {
                private final CountDownLatch stop = new CountDownLatch(1);
                private final CountDownLatch done = new CountDownLatch(1);

                @Override
                public KubernetesClient client() {
                    return new KubernetesClientBuilder().build();
                }

                @Override
                public NftExecutor executor(String netns) throws ApplyException {
                    return netns == null ? LibnftablesExecutor.open() : LibnftablesExecutor.openInNamespace(netns);
                }

                @Override
                public void awaitStop() throws InterruptedException {
                    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                        stop.countDown();
                        try {
                            done.await(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }, "nftpolicy-shutdown"));
                    stop.await();
                }

                @Override
                public void stopped() {
                    done.countDown();
                }
            };
        }
    }

    private final Environment environment;

    @Spec
    CommandSpec spec;

    @Option(names = "--node", paramLabel = "NAME", defaultValue = "${env:NODE_NAME}",
            description = "The node this agent enforces (default: the NODE_NAME environment variable).")
    String node;

    @Option(names = "--metrics-bind-address", paramLabel = "HOST:PORT",
            description = "Address of /metrics, /healthz and /readyz: HOST:PORT, [IPv6]:PORT, or :PORT for every "
                    + "address; port 0 picks a free one (default: " + DEFAULT_METRICS_BIND_ADDRESS + ").")
    String metricsBindAddress;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Same as --metrics-bind-address :PORT.")
    Integer metricsPort;

    @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
            description = "text or json (one JSON object per line, logback's JsonEncoder); both with timestamps, on "
                    + "standard error (default: ${DEFAULT-VALUE}).")
    String logFormat;

    @Option(names = "--log-level", paramLabel = "LEVEL", defaultValue = "info",
            description = "The agent's log level: error, warn, info (one line per change), debug or trace; "
                    + "libraries log warnings and errors only (default: ${DEFAULT-VALUE}).")
    String logLevel;

    @Mixin
    NetnsOption netns;

    @Option(names = "--coalesce-ms", paramLabel = "MS", defaultValue = "20",
            description = "Wait after a change before syncing, to take a burst in one transaction "
                    + "(default: ${DEFAULT-VALUE}).")
    long coalesceMillis;

    @Option(names = "--drift-check-seconds", paramLabel = "S", defaultValue = "10",
            description = "Read the table back this often and repair any difference (default: ${DEFAULT-VALUE}).")
    long driftCheckSeconds;

    @Option(names = "--relist-minutes", paramLabel = "M", defaultValue = "30",
            description = "List namespaces, pods and policies again this often, to find deletions a broken watch "
                    + "missed; 0: only when a watch is seen reconnecting (default: ${DEFAULT-VALUE}).")
    long relistMinutes;

    @Option(names = "--fail-closed",
            description = "Isolate addresses of this node's pod CIDRs that are not known pods yet (a pod whose "
                    + "network exists before the agent has its Pod object is cut off, not open, until programmed). "
                    + "The CIDRs come from the Node's spec.podCIDRs (RBAC: get on nodes) or --pod-cidr.")
    boolean failClosed;

    @Mixin
    PodCidrOption podCidrs;

    @Mixin
    EstablishedOption established;

    @Mixin
    DropLogOption dropLogs;

    @Option(names = "--no-write-drop-log",
            description = "Do not read the drop log's NFLOG group: leave it to 'nftpolicy drops'. By default the agent "
                    + "writes each logged drop as a JSON line to standard output (logger io.nftpolicy.drops).")
    boolean noWriteDropLog;

    RunCommand() {
        this(Environment.system());
    }

    RunCommand(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() throws UserException, InterruptedException {
        if (node == null || node.isBlank()) {
            throw new ParameterException(spec.commandLine(),
                    "no node name: give --node or set NODE_NAME (the downward API's spec.nodeName)");
        }
        InetSocketAddress metricsAddress = metricsAddress();
        AgentLog log = agentLog();
        NumberOptions.notNegative(spec, "--coalesce-ms", coalesceMillis);
        NumberOptions.positive(spec, "--drift-check-seconds", driftCheckSeconds);
        NumberOptions.notNegative(spec, "--relist-minutes", relistMinutes);
        List<IpRange> cidrs = podCidrs.ranges(spec);
        if (!cidrs.isEmpty() && !failClosed) {
            throw new ParameterException(spec.commandLine(), "--pod-cidr is for fail-closed mode: add --fail-closed");
        }
        Runnable restoreLog = log.apply();
        SyncLoop.Options loop = SyncLoop.Options.defaults()
                .withCoalesce(Duration.ofMillis(coalesceMillis))
                .withDriftInterval(Duration.ofSeconds(driftCheckSeconds));
        Agent.Config config = Agent.Config.forNode(node)
                .withMetricsAddress(metricsAddress)
                .withLoop(loop)
                .withRelistInterval(Duration.ofMinutes(relistMinutes))
                .withKeepEstablished(established.keep)
                .withDropLog(new Agent.DropLog(dropLogs.options(), !noWriteDropLog, netns.name));
        if (failClosed) {
            config = config.withFailClosed(cidrs);
        }

        NftExecutor executor;
        NftExecutor driftReader;
        try {
            executor = environment.executor(netns.name);
            // A second libnftables context: drift checks read the table back on their own thread with it.
            driftReader = withListingsInChildProcess(environment.executor(netns.name), netns.name);
        } catch (ApplyException e) {
            throw new UserException(e.getMessage() + " (the agent needs libnftables1 and NET_ADMIN)", e);
        }
        try (KubernetesClient client = environment.client()) {
            Agent agent = new Agent(config, client, executor, driftReader, java.time.Clock.systemUTC());
            try {
                agent.start();
                environment.awaitStop();
            } catch (IOException e) {
                throw new UserException("cannot serve metrics on " + metricsAddress + ": " + e.getMessage(), e);
            } catch (TimeoutException e) {
                throw new UserException(e.getMessage() + " (check the API server and the agent's RBAC)", e);
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage(), e);
            } finally {
                agent.close();
            }
        } finally {
            for (NftExecutor e : List.of(executor, driftReader)) {
                if (e instanceof AutoCloseable closeable) {
                    try {
                        closeable.close();
                    } catch (Exception failure) {
                        LoggerFactory.getLogger(RunCommand.class).warn("closing libnftables: {}", failure.toString());
                    }
                }
            }
            restoreLog.run();
            environment.stopped();
        }
        return ExitCodes.OK;
    }

    private InetSocketAddress metricsAddress() {
        if (metricsPort != null && metricsBindAddress != null) {
            throw new ParameterException(spec.commandLine(),
                    "give --metrics-bind-address or --metrics-port, not both");
        }
        if (metricsPort != null) {
            if (metricsPort < 0 || metricsPort > 65535) {
                throw new ParameterException(spec.commandLine(), "--metrics-port must be 0-65535, got " + metricsPort);
            }
            return new InetSocketAddress(metricsPort);
        }
        String text = metricsBindAddress == null ? DEFAULT_METRICS_BIND_ADDRESS : metricsBindAddress;
        try {
            HostAndPort address = HostAndPort.fromString(text);
            if (!address.hasPort()) {
                throw new IllegalArgumentException("no port");
            }
            return address.getHost().isEmpty() ? new InetSocketAddress(address.getPort())
                    : new InetSocketAddress(address.getHost(), address.getPort());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--metrics-bind-address: \"" + text
                    + "\" is not HOST:PORT, [IPv6]:PORT or :PORT (" + e.getMessage() + ")");
        }
    }

    private AgentLog agentLog() {
        AgentLog.Format format = switch (logFormat) {
            case "text" -> AgentLog.Format.TEXT;
            case "json" -> AgentLog.Format.JSON;
            default -> throw new ParameterException(spec.commandLine(),
                    "--log-format must be text or json, got \"" + logFormat + "\"");
        };
        try {
            return new AgentLog(format, AgentLog.parseLevel(logLevel));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--log-level: " + e.getMessage());
        }
    }

    /**
     * The drift reader lists the whole table (declarations, counters) through a child {@code nft} process, where
     * the binary is there: in this process the listing would hold libnftables, which serves one call at a time, and
     * the sync loop's transactions would wait for it (docs/agent.md, "The sync loop").
     */
    static NftExecutor withListingsInChildProcess(NftExecutor reader, String netns) {
        if (reader instanceof io.nftpolicy.backend.sync.LibnftablesExecutor libnftables) {
            var process = io.nftpolicy.backend.kernel.NftProcess.find(netns);
            if (process.isPresent()) {
                return libnftables.listingTablesThrough(process.get());
            }
            LoggerFactory.getLogger(RunCommand.class).warn("no nft binary (or nsenter for --netns): the drift check "
                    + "lists the table in this process, and syncs wait for those listings");
        }
        return reader;
    }
}
